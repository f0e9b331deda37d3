#!/usr/bin/python3
"""report.py: plots and an HTML report from a wandel HDF5 file.

Reads any file wandel writes: a single run (`wandel run -o x.h5`) or a
comparison (`wandel compare`, with region, package and shock dimensions). It
draws the time series by region and sector and, for a comparison, the
indicator heat maps and the ranking of the packages, and writes index.html
with the figures (PNG), tables, a short text per region and the scenario
files used, so that a reader without wandel can follow the results.

    /usr/bin/python3 tools/report.py results/comparison.h5 -o results/report
    /usr/bin/python3 tools/report.py results/default.h5 -o results/run-report

Needs Debian's python3-matplotlib, python3-xarray (with python3-netcdf4 or
python3-h5py) and python3-pandas. Definitions of every indicator and the
resilience measures: docs/comparison.md.
"""

import argparse
import html
import math
import os
import re
import shutil
import sys

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402
import xarray as xr  # noqa: E402

DPI = 90
MAX_PANELS = 12
MAX_RUN_VARS = 40
RESERVED = {"indicator_value", "indicator_rank", "indicator_regret", "max_regret", "max_regret_rank",
            "indicator_better"}

REFERENCES = [
    "Martin, R. (2012). Regional economic resilience, hysteresis and recessionary shocks. "
    "Journal of Economic Geography 12(1), 1-32.",
    "Martin, R., Sunley, P., Gardiner, B. and Tyler, P. (2016). How regions react to recessions: "
    "resilience and the role of economic structure. Regional Studies 50(4), 561-585.",
    "Savage, L. J. (1951). The theory of statistical decision. Journal of the American Statistical "
    "Association 46(253), 55-67.",
]


# ---- helpers ---------------------------------------------------------------------------

def esc(s):
    return html.escape(str(s), quote=True)


def slug(s):
    return re.sub(r"[^A-Za-z0-9]+", "_", str(s)).strip("_") or "x"


def attr(ds, name, default=""):
    v = ds.attrs.get(name, default)
    if isinstance(v, bytes):
        v = v.decode("utf-8", "replace")
    return v


def table_attr(ds, name):
    """A root attribute of lines 'key<TAB>field<TAB>...' as {key: [fields]}."""
    out = {}
    for line in attr(ds, name).splitlines():
        parts = line.split("\t")
        if parts and parts[0]:
            out[parts[0]] = parts[1:]
    return out


def fmt(v, digits=3):
    if v is None:
        return "n/a"
    try:
        v = float(v)
    except (TypeError, ValueError):
        return esc(v)
    if math.isnan(v):
        return "n/a"
    if math.isinf(v):
        return "never" if v > 0 else "-inf"
    if v != 0 and (abs(v) >= 1e6 or abs(v) < 1e-3):
        return "%.*g" % (digits, v)
    if abs(v) >= 1000:
        return "{:,.0f}".format(v)
    return "%.*g" % (max(digits, len(str(int(abs(v))))), v)


def save(fig, outdir, name):
    path = os.path.join(outdir, name)
    fig.savefig(path, dpi=DPI, bbox_inches="tight")
    plt.close(fig)
    return name


def html_table(header, rows, cls=""):
    out = ['<table class="%s"><thead><tr>' % cls]
    out += ["<th>%s</th>" % esc(h) for h in header]
    out.append("</tr></thead><tbody>")
    for r in rows:
        out.append("<tr>" + "".join("<td>%s</td>" % c for c in r) + "</tr>")
    out.append("</tbody></table>")
    return "".join(out)


def scenario_files(ds):
    """The recorded scenario text split into (path, text) per file."""
    text = attr(ds, "scenario")
    files, cur, buf = [], None, []
    for line in text.splitlines():
        m = re.match(r"^# file: (.*)$", line)
        if m:
            if cur is not None:
                files.append((cur, "\n".join(buf)))
            cur, buf = m.group(1), []
        else:
            buf.append(line)
    if cur is not None:
        files.append((cur, "\n".join(buf)))
    return files


def figure(name, caption):
    return ('<figure><img src="%s" alt="%s"><figcaption>%s</figcaption></figure>'
            % (esc(name), esc(caption), esc(caption)))


# ---- time series (single runs and comparisons) -----------------------------------------------

def series_panels(da, panel_dim, line_dim, title, ylabel, outdir, name, lines=None):
    """One panel per element of panel_dim (or one panel), one line per element
    of line_dim (or one line)."""
    panels = list(da[panel_dim].values) if panel_dim else [None]
    panels = panels[:MAX_PANELS]
    n = len(panels)
    cols = min(4, n)
    rows = int(math.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.6 * rows), squeeze=False, sharex=True)
    t = da["time"].values
    for i, p in enumerate(panels):
        ax = axes[i // cols][i % cols]
        sub = da.sel({panel_dim: p}) if panel_dim else da
        keys = lines if lines is not None else (list(sub[line_dim].values) if line_dim else [None])
        for k in keys:
            y = sub.sel({line_dim: k}) if line_dim else sub
            ax.plot(t, np.asarray(y.values, dtype=float), label=str(k) if k is not None else None, lw=1.4)
        if p is not None:
            ax.set_title(str(p), fontsize=9)
        ax.tick_params(labelsize=7)
        ax.grid(alpha=0.3)
        if i % cols == 0:
            ax.set_ylabel(ylabel, fontsize=8)
    for j in range(n, rows * cols):
        axes[j // cols][j % cols].axis("off")
    if line_dim and len(keys) > 1:
        h, lab = axes[0][0].get_legend_handles_labels()
        fig.legend(h, lab, loc="lower center", ncol=min(len(lab), 4), fontsize=7, frameon=False,
                   bbox_to_anchor=(0.5, -0.02 - 0.03 * math.ceil(len(lab) / 4)))
    fig.suptitle(title, fontsize=10)
    fig.tight_layout()
    return save(fig, outdir, name)


def units_of(da):
    u = da.attrs.get("units", "")
    return u if isinstance(u, str) else ""


# ---- single runs -------------------------------------------------------------------------

def report_run(ds, outdir, title):
    figs = []
    names = [v for v in ds.data_vars if "time" in ds[v].dims]
    shown = names[:MAX_RUN_VARS]
    scalars = [v for v in shown if ds[v].dims == ("time",)]
    arrays = [v for v in shown if ds[v].dims != ("time",)]
    # scalar series: small multiples, 12 a figure
    for k in range(0, len(scalars), MAX_PANELS):
        group = scalars[k:k + MAX_PANELS]
        n = len(group)
        cols = min(4, n)
        rows = int(math.ceil(n / cols))
        fig, axes = plt.subplots(rows, cols, figsize=(3.6 * cols, 2.5 * rows), squeeze=False)
        for i, v in enumerate(group):
            ax = axes[i // cols][i % cols]
            ax.plot(ds["time"].values, ds[v].values, lw=1.4)
            ax.set_title("%s [%s]" % (v, units_of(ds[v])) if units_of(ds[v]) else v, fontsize=8)
            ax.tick_params(labelsize=7)
            ax.grid(alpha=0.3)
        for j in range(n, rows * cols):
            axes[j // cols][j % cols].axis("off")
        fig.tight_layout()
        figs.append((save(fig, outdir, "series_%d.png" % (k // MAX_PANELS + 1)), "time series"))
    # subscripted series: a panel per element of the first range, a line per
    # element of the second (e.g. region and sector)
    for v in arrays:
        da = ds[v]
        other = [d for d in da.dims if d != "time"]
        if len(other) > 2:
            da = da.isel({d: 0 for d in other[2:]})
            other = other[:2]
        panel = other[0] if len(other) == 2 else None
        line = other[-1]
        figs.append((series_panels(da, panel, line, v, units_of(ds[v]), outdir, "var_%s.png" % slug(v)),
                     "%s by %s" % (v, " and ".join(other))))
    body = ['<h1>%s</h1>' % esc(title), meta_block(ds)]
    body.append("<h2>Time series</h2>")
    if len(names) > len(shown):
        body.append("<p>%d more variables are in the file and not drawn here.</p>" % (len(names) - len(shown)))
    body += [figure(f, c) for f, c in figs]
    rows = []
    for v in shown:
        y = np.asarray(ds[v].values, dtype=float)
        if ds[v].dims == ("time",):
            rows.append([esc(v), esc(units_of(ds[v])), fmt(y[0]), fmt(y[-1])])
    if rows:
        body.append("<h2>First and last values</h2>")
        body.append(html_table(["variable", "units", "first", "last"], rows))
    body.append(files_block(ds))
    return "\n".join(body)


# ---- comparisons ---------------------------------------------------------------------------

def meta_block(ds):
    items = [("model", attr(ds, "model_path")), ("model SHA-256", attr(ds, "model_sha256")),
             ("scenario", attr(ds, "scenario_path")), ("method", attr(ds, "method")),
             ("time step", attr(ds, "time_step")), ("created", attr(ds, "created")),
             ("wandel", attr(ds, "wandel_version"))]
    out = ['<dl class="meta">']
    for k, v in items:
        if v != "":
            out.append("<dt>%s</dt><dd>%s</dd>" % (esc(k), esc(v)))
    out.append("</dl>")
    if str(attr(ds, "complete", 1)) not in ("1", "True"):
        out.append('<p class="warn">Incomplete: %s</p>' % esc(attr(ds, "incomplete_reason")))
    return "".join(out)


def files_block(ds):
    out = ["<h2 id=\"files\">Scenario files used</h2>",
           "<p>Every file read for these results, as written (recorded in the HDF5 file).</p>"]
    for k, (path, text) in enumerate(scenario_files(ds)):
        out.append("<details%s><summary>%s</summary><pre>%s</pre></details>"
                   % (" open" if k == 0 else "", esc(path), esc(text)))
    return "\n".join(out)


class Comparison:
    def __init__(self, ds):
        self.ds = ds
        self.regions = [str(x) for x in ds["region"].values]
        self.packages = [str(x) for x in ds["package"].values]
        self.shocks = [str(x) for x in ds["shock"].values]
        self.indicators = [str(x) for x in ds["indicator"].values] if "indicator" in ds.dims else []
        self.pkg_info = table_attr(ds, "comparison_packages")
        self.shk_info = table_attr(ds, "comparison_shocks")
        self.units = {k: (v[0] if v else "") for k, v in table_attr(ds, "indicator_units").items()}
        self.docs = {k: (v[0] if v else "") for k, v in table_attr(ds, "indicator_docs").items()}
        self.year = attr(ds, "report_year", "2040")
        self.better = {}
        if "indicator_better" in ds:
            for i, b in zip(self.indicators, ds["indicator_better"].values):
                self.better[i] = int(b) if not np.isnan(b) else 1
        self.crit = "score" if "score" in self.indicators else (self.indicators[0] if self.indicators else None)

    def label(self, p):
        return self.pkg_info.get(p, [p])[0] or p

    def shock_label(self, s):
        return self.shk_info.get(s, [s])[0] or s

    def value(self, r, p, s, ind):
        return float(self.ds["indicator_value"].sel(region=r, package=p, shock=s, indicator=ind))

    def max_regret(self, r, p, ind):
        return float(self.ds["max_regret"].sel(region=r, package=p, indicator=ind))

    def rank(self, r, p, ind):
        return float(self.ds["max_regret_rank"].sel(region=r, package=p, indicator=ind))

    def ind(self, name):
        return name if name in self.indicators else None

    def best(self, r):
        ranked = sorted(self.packages, key=lambda p: (self.rank(r, p, self.crit), self.packages.index(p)))
        return ranked[0], ranked

    def worst(self, r, p, ind, pick):
        vals = [self.value(r, p, s, ind) for s in self.shocks[1:]]
        vals = [v for v in vals if not math.isnan(v)]
        if not vals:
            return float("nan"), None
        v = pick(vals)
        s = self.shocks[1:][[self.value(r, p, x, ind) for x in self.shocks[1:]].index(v)]
        return v, s


def fig_ranking(c, outdir):
    n = len(c.regions)
    cols = min(4, n)
    rows = int(math.ceil(n / cols))
    fig, axes = plt.subplots(rows, cols, figsize=(3.8 * cols, 0.35 * len(c.packages) * rows + 1.4 * rows),
                             squeeze=False)
    for i, r in enumerate(c.regions):
        ax = axes[i // cols][i % cols]
        best, ranked = c.best(r)
        vals = [c.max_regret(r, p, c.crit) for p in ranked]
        y = np.arange(len(ranked))[::-1]
        colors = ["#2a7f62" if p == best else "#8da0cb" for p in ranked]
        ax.barh(y, [0 if math.isnan(v) else v for v in vals], color=colors)
        for yy, v in zip(y, vals):
            ax.text(0 if math.isnan(v) else v, yy, " " + fmt(v, 3), va="center", fontsize=6)
        ax.set_yticks(y)
        ax.set_yticklabels(ranked, fontsize=7)
        ax.set_title(r, fontsize=9)
        ax.tick_params(axis="x", labelsize=7)
        ax.set_xlabel("max regret of %s" % c.crit, fontsize=7)
        ax.grid(axis="x", alpha=0.3)
    for j in range(n, rows * cols):
        axes[j // cols][j % cols].axis("off")
    fig.suptitle("Packages ranked by minimax regret across the shocks (shortest bar = most robust)", fontsize=10)
    fig.tight_layout()
    return save(fig, outdir, "ranking.png")


RESILIENCE = ("resistance", "recovery_years", "recovered", "jobs_lost_job_years", "jobs_lost_pct_years",
              "max_job_loss_pct")


def ranks(g):
    """Competition ranks where higher g is better, NaN last (as wandel)."""
    valid = [x for x in g if not math.isnan(x)]
    return [len(valid) + 1 if math.isnan(x) else 1 + sum(1 for y in valid if y > x) for x in g]


def fig_heatmap(c, r, outdir):
    """Indicators x packages for one region: the indicators without shock and
    the resilience measures at their worst across the shocks; colour = rank of
    the package by the row (green best), numbers = values."""
    rows, labels = [], []
    for i in c.indicators:
        if i in RESILIENCE:
            continue
        rows.append([c.value(r, p, "none", i) for p in c.packages])
        labels.append("%s (%s)" % (i, "higher" if c.better.get(i, 1) > 0 else "lower"))
    if len(c.shocks) > 1:
        for i in RESILIENCE:
            if i == "recovered" or not c.ind(i):
                continue
            pick = min if c.better.get(i, 1) > 0 else max
            rows.append([c.worst(r, p, i, pick)[0] for p in c.packages])
            labels.append("%s, worst shock (%s)" % (i, "higher" if c.better.get(i, 1) > 0 else "lower"))
    vals = np.array(rows, dtype=float)
    better = [1 if "(higher)" in lab else -1 for lab in labels]
    rk = np.array([ranks([b * x for x in row]) for b, row in zip(better, rows)], dtype=float)
    np_ = len(c.packages)
    fig, ax = plt.subplots(figsize=(1.3 * np_ + 3.6, 0.38 * len(labels) + 1.4))
    norm = (rk - 1) / max(np_ - 1, 1)
    ax.imshow(norm, cmap="RdYlGn_r", vmin=0, vmax=1, aspect="auto")
    for a in range(len(labels)):
        for b in range(np_):
            ax.text(b, a, fmt(vals[a, b], 3), ha="center", va="center", fontsize=7)
    ax.set_xticks(range(np_))
    ax.set_xticklabels(c.packages, rotation=30, ha="right", fontsize=7)
    ax.set_yticks(range(len(labels)))
    ax.set_yticklabels(labels, fontsize=7)
    ax.set_title("%s: indicators by package (colour: rank in the row, green = best)" % r, fontsize=9)
    fig.tight_layout()
    return save(fig, outdir, "heatmap_%s.png" % slug(r))


def fig_regret_heatmap(c, outdir):
    """Regions x packages: the maximum regret of the criterion."""
    m = np.array([[c.max_regret(r, p, c.crit) for p in c.packages] for r in c.regions])
    fig, ax = plt.subplots(figsize=(1.3 * len(c.packages) + 2.5, 0.45 * len(c.regions) + 1.4))
    finite = m[np.isfinite(m)]
    vmax = float(finite.max()) if finite.size and finite.max() > 0 else 1.0
    ax.imshow(np.where(np.isfinite(m), m, vmax), cmap="RdYlGn_r", vmin=0, vmax=vmax, aspect="auto")
    for a in range(len(c.regions)):
        for b in range(len(c.packages)):
            ax.text(b, a, fmt(m[a, b], 3), ha="center", va="center", fontsize=7)
    ax.set_xticks(range(len(c.packages)))
    ax.set_xticklabels(c.packages, rotation=30, ha="right", fontsize=7)
    ax.set_yticks(range(len(c.regions)))
    ax.set_yticklabels(c.regions, fontsize=8)
    ax.set_title("Maximum regret of %s across the shocks (0 = never beaten)" % c.crit, fontsize=9)
    fig.tight_layout()
    return save(fig, outdir, "regret_heatmap.png")


def employment_var(ds):
    for v in ("jobs", "sv employment"):
        if v in ds and "time" in ds[v].dims:
            return v
    return None


def fig_sectors(c, r, outdir):
    ds = c.ds
    v = employment_var(ds)
    if not v:
        return None
    da = ds[v].sel(region=r, shock="none")
    other = [d for d in da.dims if d not in ("package", "time")]
    if not other:
        return series_panels(da, None, "package", "%s, %s (no shock)" % (v, r), units_of(ds[v]), outdir,
                             "sectors_%s.png" % slug(r))
    da = da.isel({d: 0 for d in other[1:]})
    return series_panels(da, other[0], "package", "%s in %s by %s, each package (no shock)" % (v, r, other[0]),
                         units_of(ds[v]), outdir, "sectors_%s.png" % slug(r))


def fig_shocks(c, r, outdir):
    """Per shock: total employment of each package relative to its
    counterfactual, in percent."""
    ds = c.ds
    v = employment_var(ds)
    if not v or len(c.shocks) < 2:
        return None
    da = ds[v].sel(region=r)
    other = [d for d in da.dims if d not in ("package", "shock", "time")]
    total = da.sum(dim=other) if other else da
    rel = 100.0 * (total - total.sel(shock="none")) / total.sel(shock="none")
    rel = rel.sel(shock=c.shocks[1:])
    return series_panels(rel, "shock", "package",
                         "%s: jobs against the counterfactual (%%), each shock and package" % r, "percent",
                         outdir, "shocks_%s.png" % slug(r))


def region_text(c, r):
    best, ranked = c.best(r)
    y = c.year
    parts = []
    mr = c.max_regret(r, best, c.crit)
    parts.append("<p>For <b>%s</b>, <b>%s</b> (%s) ranks best by minimax regret of the %s: its largest "
                 "shortfall against the best package of any state of the world (no shock or one of %d shocks) "
                 "is %s." % (esc(r), esc(c.label(best)), esc(best), esc(c.crit), len(c.shocks) - 1, fmt(mr)))
    if len(ranked) > 1:
        second = ranked[1]
        parts.append(" Next comes %s (max regret %s); last %s (%s)." % (
            esc(c.label(second)), fmt(c.max_regret(r, second, c.crit)), esc(c.label(ranked[-1])),
            fmt(c.max_regret(r, ranked[-1], c.crit))))
    parts.append("</p>")
    base = "current" if "current" in c.packages else c.packages[0]
    sent = []
    for key, what, unit in (("jobs_change_%s_pct" % y, "jobs change by %s" % y, "%"),
                            ("co2_change_%s_pct" % y, "CO2 emissions change by %s" % y, "%"),
                            ("unemployment_rate_%s" % y, "unemployment in %s" % y, "")):
        if c.ind(key):
            a, b = c.value(r, best, "none", key), c.value(r, base, "none", key)
            sent.append("%s %s%s (%s: %s%s)" % (what, fmt(a), unit, esc(base), fmt(b), unit))
    if sent and best != base:
        parts.append("<p>Without a shock, under %s: %s.</p>" % (esc(best), "; ".join(sent)))
    elif sent:
        parts.append("<p>Without a shock: %s.</p>" % "; ".join(sent))
    if c.ind("jobs_lost_job_years") and len(c.shocks) > 1:
        loss, s = c.worst(r, best, "jobs_lost_job_years", max)
        if s:
            txt = ("<p>Under %s the costliest shock for %s is %s: %s job-years lost against the counterfactual."
                   % (esc(best), esc(r), esc(c.shock_label(s)), fmt(loss)))
            if c.ind("resistance"):
                res, sres = c.worst(r, best, "resistance", min)
                if sres:
                    txt += " The lowest resistance is %s (%s)" % (fmt(res), esc(c.shock_label(sres)))
            if c.ind("recovery_years"):
                rec, srec = c.worst(r, best, "recovery_years", max)
                if srec and math.isinf(rec):
                    txt += "; employment is still more than 1%% short at the end after %s" % esc(c.shock_label(srec))
                elif srec:
                    txt += "; the longest recovery takes %s years (%s)" % (fmt(rec), esc(c.shock_label(srec)))
            parts.append(txt + ".</p>")
    return "".join(parts)


def report_comparison(ds, outdir, title, csv):
    c = Comparison(ds)
    y = c.year
    body = ['<h1>%s</h1>' % esc(title), meta_block(ds)]
    body.append('<nav><a href="#summary">Summary</a> · <a href="#ranking">Ranking</a> · ' +
                " · ".join('<a href="#r-%s">%s</a>' % (slug(r), esc(r)) for r in c.regions) +
                ' · <a href="#series">Series</a> · <a href="#method">Method</a> · <a href="#files">Files</a></nav>')
    body.append("<p>%d regions x %d policy packages x %d shocks, each shocked run against its unshocked "
                "counterfactual (same region and package). Packages: %s. Shocks: %s.</p>" % (
                    len(c.regions), len(c.packages), len(c.shocks) - 1,
                    "; ".join("<b>%s</b> (%s)" % (esc(p), esc(c.label(p))) for p in c.packages),
                    "; ".join("<b>%s</b> (%s)" % (esc(s), esc(c.shock_label(s))) for s in c.shocks[1:])))
    if csv:
        body.append('<p>All numbers: <a href="%s">%s</a> (columns region, package, shock, indicator, value; '
                    'rank_*, regret_* per shock, max_regret_* and max_regret_rank_* for shock "all").</p>'
                    % (esc(os.path.basename(csv)), esc(os.path.basename(csv))))
    # summary
    body.append('<h2 id="summary">Summary</h2>')
    if c.crit:
        rows = []
        for r in c.regions:
            best, _ = c.best(r)
            row = [esc(r), "<b>%s</b>" % esc(c.label(best)), fmt(c.max_regret(r, best, c.crit))]
            for key in ("jobs_change_%s_pct" % y, "unemployment_rate_%s" % y, "co2_change_%s_pct" % y):
                row.append(fmt(c.value(r, best, "none", key)) if c.ind(key) else "n/a")
            for key, pick in (("resistance", min), ("recovery_years", max), ("jobs_lost_job_years", max)):
                row.append(fmt(c.worst(r, best, key, pick)[0]) if c.ind(key) else "n/a")
            rows.append(row)
        body.append("<p>Best package per region by minimax regret of the <i>%s</i> (%s). Jobs, unemployment "
                    "and CO2 without shock; resilience the worst across the shocks.</p>"
                    % (esc(c.crit), esc(attr(ds, "score"))))
        body.append(html_table(["region", "best package", "max regret", "jobs %s %%" % y,
                                "unemployment %s %%" % y, "CO2 %s %%" % y, "resistance (worst)",
                                "recovery years (worst)", "job-years lost (worst)"], rows))
    # ranking
    body.append('<h2 id="ranking">Ranking</h2>')
    if c.crit:
        body.append(figure(fig_ranking(c, outdir), "Packages by their largest regret across the shocks"))
        body.append(figure(fig_regret_heatmap(c, outdir), "Maximum regret per region and package"))
        rows = []
        for r in c.regions:
            _, ranked = c.best(r)
            rows.append([esc(r)] + ["%s (%s)" % (esc(p), fmt(c.max_regret(r, p, c.crit))) for p in ranked])
        body.append(html_table(["region"] + ["%d." % (k + 1) for k in range(len(c.packages))], rows))
    else:
        body.append("<p>The file has no indicators to rank by.</p>")
    # per region
    for r in c.regions:
        body.append('<h2 id="r-%s">%s</h2>' % (slug(r), esc(r)))
        if c.crit:
            body.append(region_text(c, r))
            body.append(figure(fig_heatmap(c, r, outdir),
                               "%s: indicators per package, without shock and (resilience) at the worst shock" % r))
        f = fig_sectors(c, r, outdir)
        if f:
            body.append(figure(f, "%s: employment per package (no shock)" % r))
        f = fig_shocks(c, r, outdir)
        if f:
            body.append(figure(f, "%s: employment against the counterfactual under each shock" % r))
        res_inds = [i for i in ("resistance", "recovery_years", "jobs_lost_job_years", "max_job_loss_pct")
                    if c.ind(i)]
        if res_inds and len(c.shocks) > 1:
            rows = []
            for p in c.packages:
                for s in c.shocks[1:]:
                    rows.append([esc(p), esc(s)] + [fmt(c.value(r, p, s, i)) for i in res_inds])
            body.append("<h3>Resilience</h3>")
            body.append(html_table(["package", "shock"] + res_inds, rows, "small"))
        rows = [[esc(i), esc(c.units.get(i, ""))] + [fmt(c.value(r, p, "none", i)) for p in c.packages]
                for i in c.indicators]
        body.append("<h3>Indicators without shock</h3>")
        body.append(html_table(["indicator", "units"] + c.packages, rows, "small"))
    # series
    body.append('<h2 id="series">Time series by region</h2>')
    body.append("<p>Each package without shock; one panel per region.</p>")
    for v in ds.data_vars:
        if v in RESERVED or "time" not in ds[v].dims:
            continue
        da = ds[v].sel(shock="none")
        other = [d for d in da.dims if d not in ("region", "package", "time")]
        if other:
            da = da.sum(dim=other) if v in ("jobs", "sv employment") else da.isel({d: 0 for d in other})
        name = "series_%s.png" % slug(v)
        suffix = " (all %s)" % ", ".join(other) if other and v in ("jobs", "sv employment") else ""
        body.append(figure(series_panels(da, "region", "package", v + suffix, units_of(ds[v]), outdir, name),
                           "%s by region, each package, no shock" % v))
    # method
    body.append('<h2 id="method">Method</h2>')
    body.append(
        "<p>Every region, package and shock is one run of the model, plus the unshocked counterfactual of "
        "each region and package. A package or shock is a set of scenario layers; a layer's settings can "
        "name the focal region, so a regional package acts in the region reported while the others keep "
        "their policies (all regions are simulated together).</p>"
        "<p><b>Resistance</b> follows Martin et al. (2016): the change of employment from the onset of the "
        "shock to the trough (the largest deviation) minus the change the counterfactual makes over the same "
        "window, divided by the size of the counterfactual's change; here that size is at least %s of the "
        "pre-shock employment, because a counterfactual without a contraction would divide by zero. 0 means "
        "the region fared as without the shock; -1 means it lost as much again as the reference changed. "
        "<b>Recovery</b>: years from the onset until employment stays within %s of the counterfactual "
        "(<i>never</i> when it is still outside at the end). <b>Job-years lost</b>: the shortfall integrated "
        "over the run. Packages are ranked within each region and shock by each indicator, and across the "
        "shocks by their largest regret (Savage 1951): the regret of a package in a state is the best "
        "package's value minus its own.</p>" % (
            esc("%g%%" % (100 * float(attr(ds, "resilience_floor", 0.01)))),
            esc("%g%%" % (100 * float(attr(ds, "resilience_band", 0.01))))))
    rows = [[esc(i), esc(c.units.get(i, "")), "higher" if c.better.get(i, 1) > 0 else "lower",
             esc(c.docs.get(i, ""))] for i in c.indicators]
    body.append(html_table(["indicator", "units", "better", "definition"], rows, "small defs"))
    body.append("<p>References:</p><ul>" + "".join("<li>%s</li>" % esc(x) for x in REFERENCES) + "</ul>")
    body.append(files_block(ds))
    return "\n".join(body)


# ---- page ------------------------------------------------------------------------------------

CSS = """
body { font-family: sans-serif; max-width: 1150px; margin: 1em auto; padding: 0 1em; color: #222; }
h1 { font-size: 1.6em; } h2 { border-bottom: 1px solid #ccc; margin-top: 1.8em; }
table { border-collapse: collapse; margin: 0.6em 0; font-size: 0.9em; }
td, th { border: 1px solid #ccc; padding: 0.2em 0.5em; text-align: right; }
td:first-child, th:first-child { text-align: left; }
table.small { font-size: 0.8em; }
table.defs td, table.defs th { text-align: left; }
figure { margin: 1em 0; } figure img { max-width: 100%; }
figcaption { font-size: 0.85em; color: #555; }
dl.meta { display: grid; grid-template-columns: max-content auto; gap: 0.1em 1em; font-size: 0.85em; }
dl.meta dt { color: #555; } dl.meta dd { margin: 0; word-break: break-all; }
pre { background: #f6f6f6; padding: 0.6em; overflow-x: auto; font-size: 0.8em; }
nav { margin: 0.8em 0; } .warn { color: #a00; } .missing { color: #a00; font-weight: bold; }
"""

# Marks the page with the number of figures that loaded (data-images="ok/all")
# and puts a visible note under a figure that did not; tests/report.test.sh
# reads the mark in a headless browser.
SCRIPT = """
window.addEventListener('load', function () {
  var imgs = document.images, ok = 0;
  for (var i = 0; i < imgs.length; i++) {
    if (imgs[i].complete && imgs[i].naturalWidth > 0) { ok++; continue; }
    var p = document.createElement('p'); p.className = 'missing';
    p.textContent = 'figure missing: ' + imgs[i].getAttribute('src');
    imgs[i].parentNode.insertBefore(p, imgs[i].nextSibling);
  }
  document.body.setAttribute('data-images', ok + '/' + imgs.length);
});
"""


def main(argv=None):
    ap = argparse.ArgumentParser(description="Plots and an HTML report from a wandel HDF5 file.")
    ap.add_argument("h5", help="a file written by wandel run or wandel compare")
    ap.add_argument("-o", "--output", default="results/report", help="report directory (default results/report)")
    ap.add_argument("--csv", help="the comparison's CSV (default: beside the HDF5 file); copied into the report")
    ap.add_argument("--title", help="page title")
    a = ap.parse_args(argv)
    try:
        ds = xr.open_dataset(a.h5)
    except Exception as e:  # an unreadable file is bad input: exit status 2
        print("report.py: cannot read %s: %s" % (a.h5, e), file=sys.stderr)
        return 2
    os.makedirs(a.output, exist_ok=True)
    for f in os.listdir(a.output):  # figures of an earlier report
        if f.endswith(".png"):
            os.remove(os.path.join(a.output, f))
    is_cmp = attr(ds, "wandel_kind") == "comparison" or {"package", "shock", "region"} <= set(ds.dims)
    name = os.path.splitext(os.path.basename(a.h5))[0]
    csv = None
    if is_cmp:
        src = a.csv or os.path.splitext(a.h5)[0] + ".csv"
        if os.path.exists(src):
            csv = os.path.join(a.output, os.path.basename(src))
            if os.path.abspath(src) != os.path.abspath(csv):
                shutil.copyfile(src, csv)
        title = a.title or "Comparison: %s" % name
        body = report_comparison(ds, a.output, title, csv)
    else:
        title = a.title or "Run: %s" % name
        body = report_run(ds, a.output, title)
    page = ("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>%s</title>"
            "<style>%s</style><script>%s</script></head><body>\n%s\n</body></html>\n"
            % (esc(title), CSS, SCRIPT, body))
    out = os.path.join(a.output, "index.html")
    tmp = out + ".tmp"
    with open(tmp, "w", encoding="utf-8") as f:
        f.write(page)
        f.flush()
        os.fsync(f.fileno())
    os.replace(tmp, out)
    nfig = len([f for f in os.listdir(a.output) if f.endswith(".png")])
    print("report.py: %s (%d figures)" % (out, nfig))
    return 0


if __name__ == "__main__":
    sys.exit(main())
