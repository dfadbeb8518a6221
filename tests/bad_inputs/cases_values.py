"""Bad flag values and bad spec files: refused before any data is read or anything compiles."""

from __future__ import annotations

from pathlib import Path

from harness import Case


def flag(kind: str, argv: list[str], message: str) -> Case:
    """A command given a bad flag value; results would go to the workspace's ``results``."""
    def prepare(ws: Path) -> list[str]:
        return [*argv, "--out", str(ws / "results")]

    return Case(kind, prepare, message)


def spec(kind: str, text: str, message: str) -> Case:
    """``gapbayes fit --spec ws/mine.toml`` with ``text`` as the spec file."""
    def prepare(ws: Path) -> list[str]:
        (ws / "mine.toml").write_text(text, encoding="utf-8")
        return ["fit", "--spec", str(ws / "mine.toml"), "--out", str(ws / "results")]

    return Case(kind, prepare, r"mine\.toml: " + message)


def prior(kind: str, table: str, message: str) -> Case:
    """A spec extending the default whose ``closed_level`` prior is ``{table}``."""
    return spec(kind, f'extends = "default"\n[priors]\nclosed_level = {{ {table} }}\n', message)


CASES = [
    flag("draws 0", ["fit", "--draws", "0"], r"argument --draws: must be an integer >= 1, got '0'"),
    flag("draws negative", ["fit", "--draws", "-5"], r"argument --draws: .* got '-5'"),
    flag("draws not a number", ["fit", "--draws", "many"],
         r"argument --draws: must be an integer, got 'many'"),
    flag("chains 0", ["fit", "--chains", "0"], r"argument --chains: must be an integer >= 2"),
    flag("sbc chains 1", ["sbc", "--chains", "1"],
         r"argument --chains: must be an integer >= 2 \(R-hat compares chains\), got '1'"),
    flag("study chains 1", ["study", "misspecified", "--chains", "1"],
         r"argument --chains: must be an integer >= 2"),
    flag("chains 1", ["fit", "--chains", "1"],
         r"argument --chains: must be an integer >= 2 \(R-hat compares chains\), got '1'"),
    flag("tune negative", ["fit", "--tune", "-1"], r"argument --tune: must be an integer >= 0"),
    flag("cores 0", ["fit", "--cores", "0"], r"argument --cores: must be an integer >= 1"),
    flag("max-models 0", ["fit", "--max-models", "0"], r"argument --max-models: .*>= 1"),
    flag("seed negative", ["fit", "--seed", "-3"], r"argument --seed: must be an integer >= 0"),
    flag("target-accept above 1", ["fit", "--target-accept", "1.5"],
         r"argument --target-accept: must be between 0 and 1 \(exclusive\), got '1.5'"),
    flag("target-accept 0", ["fit", "--target-accept", "0"], r"argument --target-accept: "),
    flag("target-accept nan", ["fit", "--target-accept", "nan"],
         r"argument --target-accept: must be a finite number, got 'nan'"),
    flag("unknown backend", ["fit", "--backend", "jags"], r"argument --backend: invalid choice"),
    flag("compare draws 0", ["compare", "default", "published", "--draws", "0"],
         r"gapbayes compare: error: argument --draws"),
    flag("sbc eval-rate above 1", ["sbc", "--eval-rate", "1.5"],
         r"gapbayes sbc: error: argument --eval-rate: must be in \(0, 1\], got '1.5'"),
    flag("sbc eval-rate 0", ["sbc", "--eval-rate", "0"], r"argument --eval-rate: must be in"),
    flag("sbc thin 0", ["sbc", "--thin", "0"], r"argument --thin: must be an integer >= 1"),
    flag("study workers 0", ["study", "winners-curse", "--workers", "0"],
         r"argument --workers: must be an integer >= 1"),
    flag("baseline sigma-days 0", ["baseline", "--sigma-days", "0"],
         r"argument --sigma-days: must be a number > 0"),
    flag("sensitivity grid 0", ["sensitivity", "--grid", "0,1"],
         r"argument --grid: prior scales must be > 0"),
    prior("prior mu a string", 'mu = "six", sigma = 2.0',
          r"\[priors\] closed_level\.mu must be a finite number, got 'six'"),
    prior("prior mu nan", "mu = nan, sigma = 2.0",
          r"\[priors\] closed_level\.mu must be a finite number, got nan"),
    prior("prior sigma inf", "mu = 0.0, sigma = inf",
          r"\[priors\] closed_level\.sigma must be a finite number, got inf"),
    prior("prior sigma 0", "mu = 0.0, sigma = 0.0", r"prior 'closed_level' needs sigma > 0"),
    prior("prior key typo", "mu = 0.0, sigam = 2.0",
          r"unknown key 'sigam' in prior 'closed_level'; did you mean 'sigma'\?"),
    spec("section key typo", 'extends = "default"\n[priors]\nclosed_levl = { sigma = 1.0 }\n',
         r"unknown key 'closed_levl' in \[priors\]; did you mean 'closed_level'\?"),
    spec("top-level key typo", 'extends = "default"\nsigam = 1\n',
         r"unknown key 'sigam' in the top level"),
    spec("knot months 0", 'extends = "default"\n[time]\ngrowth_knot_months = 0\n',
         r"\[time\] growth_knot_months must be a number of months > 0, got 0"),
    spec("knot months negative", 'extends = "default"\n[time]\ntrend_knot_months = -3\n',
         r"\[time\] trend_knot_months must be a number of months > 0, got -3"),
    spec("invalid start date", 'extends = "default"\n[data]\nstart_date = "2023-13-01"\n',
         r"\[data\] start_date must be a date 'YYYY-MM-DD', got '2023-13-01'"),
    spec("empty spec file", "", r"the spec file is empty"),
    spec("spec not TOML", "extends = default\n", r"not valid TOML"),
    spec("switch not a bool", 'extends = "default"\n[switches]\nself_report = 1\n',
         r"\[switches\] self_report must be bool, got 1"),
    spec("spec sampler draws 0", 'extends = "default"\n[sampler]\ndraws = 0\n',
         r"\[sampler\] draws must be an integer >= 1, got 0"),
    spec("spec target_accept 1", 'extends = "default"\n[sampler]\ntarget_accept = 1.0\n',
         r"\[sampler\] target_accept must be a number between 0 and 1"),
    spec("spec without extends misses keys", '[data]\nbenchmarks = "all"\n',
         r"\[data\] is missing key 'start_date' \(write extends = \"default\""),
    spec("extends not a string", "extends = 3\n", r"extends must be a string, got 3"),
]
