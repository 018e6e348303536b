"""Close the CBS 2019 life table at age 120 (scenarios/data/nl_cbs37360ned_qx_by_sex_2019_closed120.csv).

Ages 0-99 are copied from nl_cbs37360ned_qx_by_sex_2019.csv. For ages 100-119 the Kannisto
model logit mu(x) = ln a + b x (Thatcher, Kannisto & Vaupel 1998) is fitted by ordinary least
squares to logit(-ln(1 - qx)) over ages 85-99, by sex, and qx = 1 - exp(-mu(x)); qx = 1 at 120.
Run from scenarios/data/: python3 kannisto_closure.py
"""
import csv
import math

SOURCE = "nl_cbs37360ned_qx_by_sex_2019.csv"
TARGET = "nl_cbs37360ned_qx_by_sex_2019_closed120.csv"

rows = list(csv.DictReader(open(SOURCE)))
lines = open(SOURCE).read().splitlines()
for sex in ["male", "female"]:
    xs, ys = [], []
    for r in rows:
        if r["sex"] == sex and 85 <= int(r["age"]) <= 99:
            mu = -math.log(1 - float(r["qx"]))
            xs.append(int(r["age"]))
            ys.append(math.log(mu / (1 - mu)))
    mx, my = sum(xs) / len(xs), sum(ys) / len(ys)
    b = sum((x - mx) * (y - my) for x, y in zip(xs, ys)) / sum((x - mx) ** 2 for x in xs)
    a = my - b * mx
    print(f"{sex}: ln a = {a:.4f}, b = {b:.6f}")
    for x in range(100, 120):
        mu = math.exp(a + b * x) / (1 + math.exp(a + b * x))
        lines.append(f"{x},2019,{sex},{1 - math.exp(-mu):.5f}")
    lines.append(f"120,2019,{sex},1")
open(TARGET, "w").write("\n".join(lines) + "\n")
