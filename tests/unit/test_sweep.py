"""``rehearsal sweep``: the grid, aliases and validation, the rows and the plot, with an
injected runner (no processes)."""

from __future__ import annotations

import csv
import json
from pathlib import Path
from typing import Any

import pytest
import yaml

from scenarios import sweep
from scenarios.cli import parser
from scenarios.loader import load, resolve
from scenarios.schema import Scenario
from scenarios.sweep import Outcome
from scenarios.sweep_grid import SweepError, build_grid, parse_params
from scenarios.sweep_plot import plot

SMOKE = "flash-sale-smoke"
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def grid(*texts: str, scenario: str = SMOKE, raw: dict[str, Any] | None = None) -> list[Any]:
    base_raw = raw or yaml.safe_load(resolve(scenario).read_text())
    base = Scenario.model_validate(base_raw)
    return build_grid(base_raw, base, parse_params(list(texts)))


def figures(scenario: Scenario) -> dict[str, Any]:
    """A made-up summary that depends on the point: fewer ERP slots, deeper backlog; no
    buffer, oversold units (so some verdicts fail)."""
    buffer = scenario.engine.stock_buffer
    slots = scenario.settings_for("erp").get("concurrency_limit", 25)
    oversold = max(0, 6 - 2 * buffer)
    return {
        "verdict": "fail" if oversold else "pass",
        "oversold_units": oversold,
        "backlog": {"peak": 1000 // slots},
        "drain_seconds": 2000.0 / slots,
        "latency_seconds": {"p99": 3000.0 / slots},
        "lost": 0,
        "duplicated": 0,
    }


class FakeRunner:
    """Records what it was asked to run; fails on the points it is told to."""

    def __init__(self, crash_on: int | None = None, interrupt_on: int | None = None) -> None:
        self.ran: list[Scenario] = []
        self.roots: list[Path] = []
        self.crash_on, self.interrupt_on = crash_on, interrupt_on

    def __call__(self, scenario: Scenario, root: Path) -> Outcome:
        self.ran.append(scenario)
        self.roots.append(root)
        if len(self.ran) == self.interrupt_on:
            raise KeyboardInterrupt
        if len(self.ran) == self.crash_on:
            raise RuntimeError("locust exited with 1")
        folder = root / f"{scenario.name}-20260101-000000"
        folder.mkdir(parents=True)
        return Outcome(summary=figures(scenario), results_dir=folder)


def cli(tmp_path: Path, runner: FakeRunner, *argv: str) -> int:
    args = parser().parse_args(["sweep", SMOKE, "--results", str(tmp_path / "sw"), *argv])
    return sweep.cmd_sweep(args, runner=runner)


# -- the grid -------------------------------------------------------------------------------


def test_the_grid_is_the_product_first_parameter_slowest_each_point_applied() -> None:
    points = grid("buffer=0,5", "erp.concurrency=5,15")
    assert [p.params for p in points] == [
        {"buffer": 0, "erp.concurrency": 5},
        {"buffer": 0, "erp.concurrency": 15},
        {"buffer": 5, "erp.concurrency": 5},
        {"buffer": 5, "erp.concurrency": 15},
    ]
    got = [
        (p.scenario.engine.stock_buffer, p.scenario.settings_for("erp")["concurrency_limit"])
        for p in points
    ]
    assert got == [(0, 5), (0, 15), (5, 5), (5, 15)]
    # Other ERP settings of the file are kept, and the base scenario is untouched.
    assert all(p.scenario.settings_for("erp")["write_latency_median"] == 1.5 for p in points)
    assert load(SMOKE).engine.stock_buffer == 5


def test_each_variant_is_named_after_its_values_and_the_name_is_filesystem_safe() -> None:
    names = [p.scenario.name for p in grid("buffer=0,5", "erp.latency=0.5,2")]
    assert names[0] == "flash-sale-smoke--buffer-0--erp.latency-0.5"
    assert len(set(names)) == 4
    assert all(set(n) <= set("abcdefghijklmnopqrstuvwxyz0123456789.-_") for n in names)


@pytest.mark.parametrize(
    ("param", "read"),
    [
        ("buffer=3", lambda s: s.engine.stock_buffer),
        ("erp.concurrency=3", lambda s: s.settings_for("erp")["concurrency_limit"]),
        ("erp.latency=3", lambda s: s.settings_for("erp")["write_latency_median"]),
        ("shopify.leak_rate=3", lambda s: s.settings_for("shopify")["leak_rate"]),
        ("shopify.bucket=3", lambda s: s.settings_for("shopify")["bucket_size"]),
        ("back_office.rate=3", lambda s: s.back_office.rate),
        ("time_scale=3", lambda s: s.time_scale),
        ("channels.0.share=3", lambda s: s.channels[0].share),
        ("platforms.erp.concurrency_limit=3", lambda s: s.settings_for("erp")["concurrency_limit"]),
    ],
)
def test_aliases_and_dotted_paths_set_the_field_they_name(param: str, read: Any) -> None:
    (point,) = grid(param)
    assert read(point.scenario) == 3


def test_peak_multiplies_every_rate_of_the_arrival_curve_and_keeps_the_times() -> None:
    base = load(SMOKE).arrival_curve
    (point,) = grid("peak=1.5")
    assert point.scenario.arrival_curve == [(t, rate * 1.5) for t, rate in base]


def test_peak_scales_a_traffic_block_as_the_curve_it_compiles_to() -> None:
    raw = {
        "name": "staged",
        "traffic": {"stages": [{"duration": 10, "rate": 2}, {"duration": 10, "rate": 4}]},
    }
    base = Scenario.model_validate(raw).curve()
    (point,) = grid("peak=2", raw=raw)
    assert point.scenario.curve() == [(t, rate * 2) for t, rate in base]
    assert point.scenario.duration == Scenario.model_validate(raw).duration


def test_containers_the_file_leaves_out_are_created_or_taken_from_the_defaults() -> None:
    raw = {"name": "bare", "duration": 10, "arrival_curve": [[0, 1], [10, 0]]}
    (point,) = grid("erp.concurrency=7", "channels.0.share=2", raw=raw)
    assert point.scenario.settings_for("erp") == {"concurrency_limit": 7}
    assert point.scenario.channels[0].name == "shopify" and point.scenario.channels[0].share == 2


def test_values_are_yaml_scalars() -> None:
    (param,) = parse_params(["x.y=5, 1.5,true,graphql,'7'"])
    assert param.values == (5, 1.5, True, "graphql", "7")


# -- refused before anything runs -----------------------------------------------------------


@pytest.mark.parametrize(
    ("param", "expected"),
    [
        ("buffer=2,-1", "--param buffer=-1: engine.stock_buffer: Input should be greater than"),
        ("erp.concurrency=0", "--param erp.concurrency=0: platforms.erp: concurrency_limit must"),
        ("erp.concurrency=many", "--param erp.concurrency=many: platforms.erp: concurrency_limit"),
        ("shopify.leak_rate=fast", "--param shopify.leak_rate=fast: platforms.shopify: setting"),
        ("engine.stock_bufer=1", "--param engine.stock_bufer=1: engine.stock_bufer: Extra input"),
        (
            "channels.2.share=1",
            "--param channels.2.share=1: channels.2: no item 2 (the list has 1)",
        ),
        ("time_scale=5000", "--param time_scale=5000: time_scale: Input should be less than"),
        ("peak=0", "--param peak=0: peak is a factor on the arrival curve's rates"),
        ("buffer=1,,2", "--param 'buffer=1,,2': an empty value in the list"),
        ("buffer=1,1", "--param buffer: value(s) listed twice: 1"),
        ("buffer", "--param 'buffer': expected NAME=V1,V2,..."),
        ("buffer={a: 1}", "--param buffer: value '{a: 1}' is not a YAML scalar"),
    ],
)
def test_a_bad_value_is_refused_naming_the_parameter_the_value_and_the_reason(
    param: str, expected: str
) -> None:
    with pytest.raises(SweepError) as err:
        grid(param)
    assert expected in str(err.value)


def test_the_same_field_swept_under_two_names_is_refused() -> None:
    with pytest.raises(SweepError, match=r"engine\.stock_buffer is swept twice"):
        grid("buffer=1", "engine.stock_buffer=2")


def test_values_bad_only_together_are_reported_with_the_whole_point() -> None:
    with pytest.raises(SweepError) as err:
        grid("arrival_curve.1.0=5,70", "arrival_curve.2.0=60,80")
    # Each value is fine on its own; only 70 then 60 puts the curve's points out of order.
    (line,) = str(err.value).splitlines()
    assert line == (
        "--param arrival_curve.1.0=70 arrival_curve.2.0=60: "
        "arrival_curve: Value error, point 2: time 60.0 is not after 70.0"
    )


def test_bad_input_exits_2_listing_every_problem_and_runs_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runner = FakeRunner()
    assert cli(tmp_path, runner, "--param", "buffer=-1", "--param", "erp.concurrency=0") == 2
    err = capsys.readouterr().err
    assert "--param buffer=-1: engine.stock_buffer" in err
    assert "--param erp.concurrency=0: platforms.erp" in err
    assert runner.ran == [] and not (tmp_path / "sw").exists()


def test_dry_run_lists_the_grid_and_runs_nothing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runner = FakeRunner()
    assert cli(tmp_path, runner, "--param", "buffer=0,5", "--param", "peak=1,2", "--dry-run") == 0
    out = capsys.readouterr().out
    assert "4 points" in out and "flash-sale-smoke--buffer-5--peak-2" in out
    assert runner.ran == [] and not (tmp_path / "sw").exists()


# -- running and collecting -----------------------------------------------------------------


def read_csv(path: Path) -> list[dict[str, str]]:
    with path.open() as f:
        return list(csv.DictReader(f))


def test_a_sweep_runs_every_point_in_order_and_writes_its_rows(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    runner = FakeRunner()
    code = cli(tmp_path, runner, "--param", "buffer=0,5", "--param", "erp.concurrency=5,25")
    folder = tmp_path / "sw"
    assert code == 0  # failed verdicts are data: the sweep completed
    assert [s.name for s in runner.ran] == [
        "flash-sale-smoke--buffer-0--erp.concurrency-5",
        "flash-sale-smoke--buffer-0--erp.concurrency-25",
        "flash-sale-smoke--buffer-5--erp.concurrency-5",
        "flash-sale-smoke--buffer-5--erp.concurrency-25",
    ]
    assert runner.roots == [folder] * 4  # each run's folder inside the sweep's
    rows = read_csv(folder / "sweep.csv")
    assert list(rows[0])[:9] == [
        "buffer",
        "erp.concurrency",
        "verdict",
        "oversold_units",
        "backlog_peak",
        "drain_seconds",
        "latency_p99",
        "lost",
        "duplicated",
    ]
    assert rows[1] == {
        "buffer": "0",
        "erp.concurrency": "25",
        "verdict": "fail",
        "oversold_units": "6",
        "backlog_peak": "40",
        "drain_seconds": "80.0",
        "latency_p99": "120.0",
        "lost": "0",
        "duplicated": "0",
        "results": str(folder / "flash-sale-smoke--buffer-0--erp.concurrency-25-20260101-000000"),
        "error": "",
    }
    document = json.loads((folder / "sweep.json").read_text())
    assert document["params"][1] == {
        "name": "erp.concurrency",
        "path": "platforms.erp.concurrency_limit",
        "values": [5, 25],
    }
    assert document["completed"] == 4 and not document["interrupted"]
    assert [(r["buffer"], r["erp.concurrency"], r["backlog_peak"]) for r in document["rows"]] == [
        (0, 5, 200),
        (0, 25, 40),
        (5, 5, 200),
        (5, 25, 40),
    ]
    assert (folder / "sweep.png").read_bytes().startswith(PNG_MAGIC)
    out = capsys.readouterr().out
    assert "verdict" in out and "oversold" in out and "200" in out


def test_a_crashed_run_is_a_row_the_others_still_run_and_the_exit_is_1(tmp_path: Path) -> None:
    runner = FakeRunner(crash_on=2)
    assert cli(tmp_path, runner, "--param", "buffer=0,2,5") == 1
    rows = read_csv(tmp_path / "sw" / "sweep.csv")
    assert [r["verdict"] for r in rows] == ["fail", "crashed", "pass"]
    assert rows[1]["error"] == "RuntimeError: locust exited with 1"
    assert rows[1]["oversold_units"] == ""


def test_ctrl_c_stops_after_writing_what_finished(tmp_path: Path) -> None:
    runner = FakeRunner(interrupt_on=2)
    assert cli(tmp_path, runner, "--param", "buffer=0,2,5") == 130
    assert len(runner.ran) == 2  # the third point never started
    document = json.loads((tmp_path / "sw" / "sweep.json").read_text())
    assert document["interrupted"] and document["completed"] == 1 and document["points"] == 3
    assert [r["buffer"] for r in document["rows"]] == [0]
    assert (tmp_path / "sw" / "sweep.png").read_bytes().startswith(PNG_MAGIC)


def test_the_default_folder_is_named_after_the_scenario_and_a_utc_stamp() -> None:
    prepared = sweep.prepare(SMOKE, ["buffer=1"], None)
    assert prepared.folder.parent == Path("results")
    assert prepared.folder.name.startswith("sweep-flash-sale-smoke-20")


# -- the plot -------------------------------------------------------------------------------


def rows_for(points: list[Any]) -> list[dict[str, Any]]:
    return [
        sweep.row_of(p, Outcome(summary=figures(p.scenario), results_dir=Path("r"))) for p in points
    ]


def test_two_parameters_plot_three_panels_one_line_per_value_of_the_second(
    tmp_path: Path,
) -> None:
    rows = rows_for(grid("buffer=0,2,5", "erp.concurrency=5,25"))
    fig = plot(rows, ["buffer", "erp.concurrency"], tmp_path / "s.png")
    assert [ax.get_title() for ax in fig.axes] == [
        "oversold units",
        "backlog peak (orders)",
        "drain time (simulated s)",
    ]
    oversold, backlog, _ = fig.axes
    labels = [line.get_label() for line in backlog.get_lines()]
    assert labels == ["erp.concurrency=5", "erp.concurrency=25"]
    assert [list(line.get_xdata()) for line in backlog.get_lines()] == [[0, 2, 5], [0, 2, 5]]
    assert list(backlog.get_lines()[0].get_ydata()) == [200, 200, 200]
    assert oversold.get_xlabel() == "buffer"
    # Buffer 0 and 2 oversell (fail) at both concurrencies: four points circled.
    (failed,) = [c for c in oversold.collections if c.get_label() == "verdict failed"]
    assert sorted(map(tuple, failed.get_offsets().tolist())) == [(0, 6), (0, 6), (2, 2), (2, 2)]
    assert (tmp_path / "s.png").read_bytes().startswith(PNG_MAGIC)


def test_one_parameter_plots_one_line_and_marks_runs_that_never_drained(tmp_path: Path) -> None:
    rows = rows_for(grid("erp.concurrency=5,25"))
    rows[0] |= {"drain_seconds": None, "verdict": "fail"}
    fig = plot(rows, ["erp.concurrency"], tmp_path / "s.png")
    drain = fig.axes[2]
    (line,) = drain.get_lines()
    assert list(line.get_xdata()) == [5, 25]
    (undrained,) = [c for c in drain.collections if "did not drain" in str(c.get_label())]
    assert undrained.get_offsets().tolist()[0][0] == 5


def test_non_numeric_values_are_categories_in_the_order_given(tmp_path: Path) -> None:
    rows = rows_for(grid("buffer=5"))
    rows = [r | {"buffer": name} for r, name in zip(rows * 2, ["rest", "graphql"], strict=True)]
    fig = plot(rows, ["buffer"], tmp_path / "s.png")
    ax = fig.axes[0]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["rest", "graphql"]
    assert list(ax.get_lines()[0].get_xdata()) == [0.0, 1.0]
