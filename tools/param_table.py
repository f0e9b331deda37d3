#!/usr/bin/python3
"""Parameter table of a Vensim model as markdown (for docs/model.md).

Lists every constant of the model (equations made only of numbers): name,
value (a list for arrays, shortened), units, the range written after the units
("~ units [low,high] ~") or given in the documentation as "[low, high]", and
the documentation (source or assumption). Region-specific values and their
sources are in scenarios/regions/*.cfg.

    /usr/bin/python3 tools/param_table.py models/transformation.mdl > /tmp/table.md
    /usr/bin/python3 tools/param_table.py --update docs/model.md models/transformation.mdl

--update replaces the text between the lines "<!-- parameter table -->" and
"<!-- end parameter table -->" of the given markdown file.
"""
import re
import sys

NUM = re.compile(r"^[\s0-9eE+\-.,;]+$")


def equations(text):
    text = text.split("\\\\\\---///")[0]
    text = text.replace("\\\n", " ")
    for chunk in text.split("|"):
        parts = chunk.split("~")
        if len(parts) < 3:
            continue
        lhs_eq, units, doc = parts[0], parts[1], "~".join(parts[2:])
        if "=" not in lhs_eq or ":" in lhs_eq.split("=")[0]:
            continue
        lhs, rhs = lhs_eq.split("=", 1)
        lhs = " ".join(lhs.replace("{UTF-8}", "").split())
        lhs = re.sub(r"^\*+\s*\.\S+\s*\*+", "", lhs).strip()
        lhs = lhs.split("*****")[-1].strip()
        yield lhs, " ".join(rhs.split()), " ".join(units.split()), " ".join(doc.split())


def shorten(rhs):
    vals = [v for v in re.split(r"[,;]", rhs) if v.strip()]
    nums = []
    for v in vals:
        x = float(v)
        nums.append(f"{x:g}")
    if len(set(nums)) == 1 and len(nums) > 1:
        return f"{nums[0]} (all)"
    s = ", ".join(nums)
    return s if len(s) <= 60 else s[:57] + "..."


def table(path):
    rows = ["| parameter | value | units | range | source / note |", "|---|---|---|---|---|"]
    for lhs, rhs, units, doc in equations(open(path, encoding="utf-8").read()):
        if not rhs or not NUM.match(rhs) or lhs.upper() in ("INITIAL TIME", "FINAL TIME", "TIME STEP", "SAVEPER"):
            continue
        m = re.search(r"\[([^\]]*)\]\s*$", units)
        rng = m.group(1).replace(",", ", ") if m else ""
        units = re.sub(r"\s*\[[^\]]*\]\s*$", "", units)
        if not rng:
            m = re.search(r"\[(-?[0-9][^\]]*)\]", doc)
            rng = m.group(1) if m else ""
        if re.match(r"(initial )?supply factor|local demand|steel aid per tonne|coal power closure|power tech availability|"
                    r"power marginal cost|steel tech availability", lhs):
            continue  # element-wise parts of an equation's structure, not parameters
        if not rng and ("profile" in doc or lhs.endswith("[region]") or "[region," in lhs):
            rng = "per region: scenarios/regions"
        if not rng and re.search(r"\((Definition|Fact|Policy fact|Input)", doc):
            rng = "-"
        doc = doc.replace("|", "/")
        rows.append(f"| `{lhs}` | {shorten(rhs)} | {units} | {rng} | {doc} |")
    return "\n".join(rows) + "\n"


def main():
    args = sys.argv[1:]
    if args and args[0] == "--update":
        md, model = args[1], args[2]
        text = open(md, encoding="utf-8").read()
        a, b = "<!-- parameter table -->\n", "<!-- end parameter table -->"
        i, j = text.index(a) + len(a), text.index(b)
        new = text[:i] + table(model) + text[j:]
        tmp = md + ".tmp"
        open(tmp, "w", encoding="utf-8").write(new)
        import os
        os.replace(tmp, md)
        return 0
    if len(args) != 1:
        print(__doc__, file=sys.stderr)
        return 2
    sys.stdout.write(table(args[0]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
