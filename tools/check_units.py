#!/usr/bin/python3
"""Dimensional check of a Vensim model: every equation's right-hand side must
have the units its variable declares.

    /usr/bin/python3 tools/check_units.py models/transformation.mdl

Units are reduced to base dimensions, ignoring decimal prefixes, which the
models convert with named constants (EUR per BnEUR, kEUR per EUR) or which
cancel by construction (BnEUR/kEUR with MtCO2/tCO2): EUR (EUR, kEUR, BnEUR),
person (person, persons), year, mass (t, Mt, kg), CO2 (tCO2, MtCO2), energy
(MWh, TWh), power (GW); dmnl and percent are dimensionless. Rules: the operands
of + - MIN MAX IF THEN ELSE and comparisons agree; * / ZIDZ XIDZ combine; the
exponent of ^ is dimensionless (a literal exponent raises the base's units);
EXP and LN take dimensionless arguments; SMOOTH, DELAY3, INITIAL, SUM and SAMPLE
IF TRUE keep their argument's units; INTEG's rate has the stock's units per
year and its initial value the stock's units; a lookup returns its declared
units. A number agrees with any units (Vensim's convention for literals).
Variables without declared units are not checked.

Prints one line per problem (file:line: variable: what) and exits 1 when there
is any, 0 otherwise.
"""
import re
import sys

ALIASES = {
    "EUR": "EUR", "kEUR": "EUR", "BnEUR": "EUR",
    "person": "person", "persons": "person",
    "year": "year",
    "t": "mass", "Mt": "mass", "kg": "mass",
    "tCO2": "CO2", "MtCO2": "CO2",
    "MWh": "energy", "TWh": "energy",
    "GW": "power",
    "dmnl": None, "percent": None, "1": None,
}


class Unknown(Exception):
    pass


WILD = "wild"  # a literal number


def parse_units(s):
    """'EUR/(person*year)' -> {'EUR': 1, 'person': -1, 'year': -1}."""
    toks = re.findall(r"[A-Za-z0-9]+|[*/()]", s)
    pos = 0

    def factor():
        nonlocal pos
        if toks[pos] == "(":
            pos += 1
            d = expr()
            pos += 1  # ')'
            return d
        w = toks[pos]
        pos += 1
        if w not in ALIASES:
            raise ValueError(f"unknown unit '{w}'")
        b = ALIASES[w]
        return {} if b is None else {b: 1}

    def expr():
        nonlocal pos
        d = factor()
        while pos < len(toks) and toks[pos] in "*/":
            op = toks[pos]
            pos += 1
            e = factor()
            d = mul(d, e, 1 if op == "*" else -1)
        return d

    return expr()


def mul(a, b, sign=1):
    d = dict(a)
    for k, v in b.items():
        d[k] = d.get(k, 0) + sign * v
        if d[k] == 0:
            del d[k]
    return d


def show(d):
    if d == WILD:
        return "number"
    if not d:
        return "dmnl"
    num = "*".join(f"{k}^{v}" if v != 1 else k for k, v in sorted(d.items()) if v > 0) or "1"
    den = "*".join(f"{k}^{-v}" if v != -1 else k for k, v in sorted(d.items()) if v < 0)
    return num + ("/" + den if den else "")


class Checker:
    def __init__(self, units, lookups):
        self.units = units  # name (lower) -> dims or None
        self.lookups = lookups
        self.problems = []

    # -- tokenizer -------------------------------------------------------------
    def tokenize(self, s):
        toks = []
        i = 0
        while i < len(s):
            c = s[i]
            if c.isspace():
                i += 1
            elif c.isdigit() or (c == "." and i + 1 < len(s) and s[i + 1].isdigit()):
                m = re.match(r"\d*\.?\d+(?:[eE][+-]?\d+)?|\d+\.", s[i:])
                toks.append(("num", m.group(0)))
                i += len(m.group(0))
            elif c.isalpha() or c == "_":
                m = re.match(r"[A-Za-z_][A-Za-z0-9_ ]*", s[i:])
                toks.append(("name", " ".join(m.group(0).split())))
                i += len(m.group(0))
            elif c == "[":
                j = s.index("]", i)
                i = j + 1  # subscripts do not change units
            elif s[i:i + 2] in ("<=", ">=", "<>"):
                toks.append(("op", s[i:i + 2]))
                i += 2
            else:
                toks.append(("op", c))
                i += 1
        return toks

    # -- parser/evaluator ---------------------------------------------------------
    def evaluate(self, s, where):
        self.toks = self.tokenize(s)
        self.pos = 0
        self.where = where
        v = self.comparison()
        return v

    def peek(self):
        return self.toks[self.pos] if self.pos < len(self.toks) else (None, None)

    def take(self):
        t = self.peek()
        self.pos += 1
        return t

    def agree(self, a, b, what):
        if a is None or b is None:
            return a if b is None else b
        if a == WILD:
            return b
        if b == WILD:
            return a
        if a != b:
            self.problems.append(f"{self.where}: {what}: {show(a)} against {show(b)}")
        return a

    def comparison(self):
        a = self.additive()
        while self.peek()[1] in ("<", ">", "<=", ">=", "=", "<>"):
            self.take()
            b = self.additive()
            self.agree(a, b, "comparison of different units")
            a = {}
        return a

    def additive(self):
        a = self.term()
        while self.peek()[1] in ("+", "-"):
            op = self.take()[1]
            b = self.term()
            a = self.agree(a, b, f"'{op}' of different units")
        return a

    def term(self):
        a = self.power()
        while self.peek()[1] in ("*", "/"):
            op = self.take()[1]
            b = self.power()
            a = self.combine(a, b, 1 if op == "*" else -1)
        return a

    def combine(self, a, b, sign):
        if a is None or b is None:
            return None
        a = {} if a == WILD else a
        b = {} if b == WILD else b
        return mul(a, b, sign)

    def power(self):
        a = self.unary()
        if self.peek()[1] == "^":
            self.take()
            tok = self.peek()
            b = self.unary()
            if b not in (WILD, None) and b != {}:
                self.problems.append(f"{self.where}: exponent with units {show(b)}")
            if a in (WILD, None) or a == {}:
                return a
            if tok[0] == "num" and b == WILD:
                n = float(tok[1])
                return {k: v * n for k, v in a.items()}
            self.problems.append(f"{self.where}: {show(a)} raised to a non-literal power")
            return None
        return a

    def unary(self):
        if self.peek()[1] in ("-", "+"):
            self.take()
        return self.primary()

    def args(self):
        self.take()  # (
        out = []
        if self.peek()[1] == ")":
            self.take()
            return out
        while True:
            out.append(self.comparison())
            t = self.take()
            if t[1] == ")":
                return out
            if t[1] != ",":
                raise Unknown("malformed arguments")

    def primary(self):
        kind, val = self.take()
        if kind == "num":
            return WILD
        if val == "(":
            v = self.comparison()
            self.take()
            return v
        if kind != "name":
            raise Unknown(f"unexpected '{val}'")
        key = val.upper()
        if self.peek()[1] == "(":
            a = self.args()
            if key in ("MIN", "MAX"):
                return self.agree(a[0], a[1], f"{key} of different units")
            if key == "IF THEN ELSE":
                return self.agree(a[1], a[2], "IF THEN ELSE branches of different units")
            if key in ("ZIDZ",):
                return self.combine(a[0], a[1], -1)
            if key == "XIDZ":
                return self.agree(self.combine(a[0], a[1], -1), a[2], "XIDZ fallback")
            if key in ("EXP", "LN"):
                if a[0] not in (WILD, None, {}):
                    self.problems.append(f"{self.where}: {key} of {show(a[0])}")
                return {}
            if key in ("SMOOTH", "SMOOTH3", "DELAY1", "DELAY3", "SMOOTHI", "DELAY FIXED"):
                if len(a) > 1 and a[1] not in (WILD, None, {"year": 1}):
                    self.problems.append(f"{self.where}: {key} time has units {show(a[1])}")
                return a[0]
            if key in ("INITIAL", "SUM", "ABS"):
                return a[0]
            if key == "SAMPLE IF TRUE":
                return self.agree(a[1], a[2], "SAMPLE IF TRUE initial value")
            if val.lower() in self.lookups:
                return self.lookups[val.lower()]
            raise Unknown(f"function {val}")
        if key in ("TIME", "TIME STEP", "INITIAL TIME", "FINAL TIME", "SAVEPER"):
            return {"year": 1}
        return self.units.get(val.lower())


def equations(text):
    """(name, rhs, units, line) of each equation, with the line of its left side."""
    body = text.split("\\\\\\---///")[0]
    pos = 0
    for chunk in body.split("|"):
        start = pos
        pos += len(chunk) + 1
        parts = chunk.split("~")
        if len(parts) < 3:
            continue
        left = parts[0]
        units = " ".join(parts[1].replace("\\\n", " ").split())
        units = re.sub(r"\s*\[[^\]]*\]\s*$", "", units)
        m = re.search(r"([^\n*~]*?)(\[[^\]]*\])?\s*=\s*(.*)$", left.replace("\\\n", " "), re.S)
        if not m or ":" in left.split("=")[0]:
            continue
        name = " ".join(m.group(1).replace("{UTF-8}", "").split())
        rhs = " ".join(m.group(3).split())
        line = text.count("\n", 0, start + left.find(m.group(1).strip()[:1] or " ")) + 1
        yield name, rhs, units, line


def main():
    if len(sys.argv) != 2:
        print(__doc__, file=sys.stderr)
        return 2
    path = sys.argv[1]
    text = open(path, encoding="utf-8").read()
    eqs = list(equations(text))
    units = {}
    for name, rhs, u, line in eqs:
        if u and name.lower() not in units:
            units[name.lower()] = parse_units(u)
    lookups = {}
    for m in re.finditer(r"(?m)^([A-Za-z][A-Za-z0-9 _]*)\(\s*\n?\s*\[", text):
        name = " ".join(m.group(1).split()).lower()
        after = text[m.end():]
        um = re.search(r"~\s*([^~\[]*)", after)
        lookups[name] = parse_units(um.group(1).strip()) if um and um.group(1).strip() else None
    ck = Checker(units, lookups)
    checked = 0
    for name, rhs, u, line in eqs:
        declared = units.get(name.lower())
        if declared is None or not rhs:
            continue
        where = f"{path}:{line}: {name}"
        try:
            if rhs.upper().startswith("INTEG"):
                inner = rhs[rhs.index("(") + 1:rhs.rindex(")")]
                depth, cut = 0, None
                for i, c in enumerate(inner):
                    depth += c in "(["
                    depth -= c in ")]"
                    if c == "," and depth == 0:
                        cut = i
                rate = ck.evaluate(inner[:cut], where + " (rate)")
                init = ck.evaluate(inner[cut + 1:], where + " (initial value)")
                ck.where = where
                ck.agree(rate, mul(declared, {"year": 1}, -1), "rate against the stock's units per year")
                ck.agree(init, declared, "initial value against the stock's units")
            else:
                v = ck.evaluate(rhs, where)
                ck.agree(v, declared, "right-hand side against the declared units")
            checked += 1
        except Unknown as e:
            print(f"{where}: not checked ({e})", file=sys.stderr)
    for p in ck.problems:
        print(p)
    print(f"{checked} equations checked, {len(ck.problems)} problem(s)", file=sys.stderr)
    return 1 if ck.problems else 0


if __name__ == "__main__":
    sys.exit(main())
