"""The Locust process(es) of a run: command lines, and the report merged from workers."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

from loadtests.timings import Timing, TimingRecorder, timings_path
from scenarios.load_process import (
    LOAD_ENV,
    build,
    finalise_report,
    leader_argv,
    merge_reports,
)
from scenarios.processes import ProcessFailed, Service

LOCUSTFILE = Path("loadtests/locustfile.py")


def _after(argv: list[str], flag: str) -> str:
    return argv[argv.index(flag) + 1]


def test_single_process_is_headless_with_no_master_or_web_ui() -> None:
    argv = leader_argv(LOCUSTFILE, host="http://127.0.0.1:9", csv_prefix=Path("r/locust"))
    assert "--headless" in argv and "--only-summary" in argv
    assert _after(argv, "--exit-code-on-error") == "0"
    assert not {"--master", "--worker", "--web-host", "--autostart"} & set(argv)


def test_web_ui_binds_loopback_starts_by_itself_and_quits() -> None:
    argv = leader_argv(LOCUSTFILE, host="h", csv_prefix=Path("r/locust"), web_port=8089)
    assert "--headless" not in argv
    assert (_after(argv, "--web-host"), _after(argv, "--web-port")) == ("127.0.0.1", "8089")
    assert "--autostart" in argv
    assert int(_after(argv, "--autoquit")) > 0


def test_workers_share_one_master_on_loopback(tmp_path: Path) -> None:
    config = tmp_path / "load.json"
    group = build(
        locustfile=LOCUSTFILE, config=config, host="h", results=tmp_path, workers=3, ui=True
    )
    master = group.argv
    assert _after(master, "--master-bind-host") == "127.0.0.1"
    assert _after(master, "--expect-workers") == "3"
    assert _after(master, "--csv") == str(tmp_path / "locust")
    assert group.web_url == f"http://127.0.0.1:{_after(master, '--web-port')}"
    assert len(group.workers) == 3
    for k, worker in enumerate(group.workers):
        assert "--worker" in worker.argv and "--csv" not in worker.argv
        assert _after(worker.argv, "--master-host") == "127.0.0.1"
        assert _after(worker.argv, "--master-port") == _after(master, "--master-bind-port")
        assert worker.env == {LOAD_ENV: str(config)}
        assert worker.log_path == tmp_path / f"locust-worker{k}.log"
    assert group.log_path == tmp_path / "locust.log"


def test_negative_workers_are_refused(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="workers must be >= 0"):
        build(locustfile=LOCUSTFILE, config=tmp_path, host="h", results=tmp_path, workers=-1)


def _report(index: int, fired: int, statuses: dict[str, int], **extra: Any) -> dict[str, Any]:
    return {
        "scheduled_checkouts": fired,
        "fired_checkouts": fired,
        "scheduled_movements": 2,
        "fired_movements": 2,
        "lag_p50_s": 99.0,  # per-worker percentiles: must not leak into the merge
        "lag_p99_s": 99.0,
        "lag_max_s": 99.0,
        "status_counts": {"checkout": statuses, "stock-movement": {"200": 2}},
        "channels": {
            "shopify": {"platform": "shopify", "fired_checkouts": fired, "status_counts": statuses}
        },
        "in_flight_at_stop": 0,
        "drained": True,
        "worker_index": index,
        "workers": 2,
        "time_scale": 6.0,
        "duration_sim_s": 120.0,
        "wall_s": 20.0 + index,
        **extra,
    }


def test_merge_sums_counts_and_recomputes_lags_from_raw_data() -> None:
    reports = [
        _report(0, 3, {"201": 2, "409": 1}),
        _report(1, 4, {"201": 1, "409": 2, "500": 1}),
    ]
    merged = merge_reports(reports, [0.0, 0.01, 0.02, 0.5], workers=2)
    assert merged["fired_checkouts"] == merged["scheduled_checkouts"] == 7
    assert merged["fired_movements"] == 4
    assert merged["status_counts"] == {
        "checkout": {"201": 3, "409": 3, "500": 1},
        "stock-movement": {"200": 4},
    }
    assert merged["channels"]["shopify"] == {
        "platform": "shopify",
        "fired_checkouts": 7,
        "status_counts": {"201": 3, "409": 3, "500": 1},
    }
    assert merged["lag_max_s"] == 0.5
    assert merged["lag_p50_s"] < 0.5
    assert merged["drained"] is True
    assert merged["wall_s"] == 21.0
    assert [w["fired_checkouts"] for w in merged["by_worker"]] == [3, 4]


def test_a_missing_worker_report_means_not_drained() -> None:
    merged = merge_reports([_report(0, 3, {"201": 3})], [0.0], workers=2)
    assert merged["drained"] is False
    assert merged["fired_checkouts"] == 3


def _write_worker(folder: Path, index: int, elapsed: list[float]) -> None:
    report = folder / "load_report.json"
    (folder / f"load_report-worker{index}.json").write_text(
        json.dumps(_report(index, len(elapsed), {"201": len(elapsed)}))
    )
    recorder = TimingRecorder(timings_path(report, f"-worker{index}"))
    for value in elapsed:
        recorder.record(
            Timing(
                name="checkout",
                attempt=1,
                scheduled_s=1.0,
                start_s=1.0 + value / 1000,
                elapsed_ms=value,
                status=201,
                ok=True,
            )
        )
    recorder.close()


def test_finalise_merges_worker_files_into_the_report_the_summary_reads(tmp_path: Path) -> None:
    _write_worker(tmp_path, 0, [10.0, 30.0])
    _write_worker(tmp_path, 1, [20.0, 40.0, 50.0])
    finalise_report(tmp_path, workers=2)
    report = json.loads((tmp_path / "load_report.json").read_text())
    assert report["fired_checkouts"] == 5
    assert report["latency_ms"]["checkout"]["count"] == 5
    assert report["latency_ms"]["checkout"]["p50"] == 30.0
    assert report["latency_ms"]["checkout"]["max"] == 50.0
    assert report["lag_max_s"] == pytest.approx(0.05)


def test_finalise_adds_latency_to_a_single_process_report(tmp_path: Path) -> None:
    (tmp_path / "load_report.json").write_text(json.dumps({"fired_checkouts": 1}))
    (tmp_path / "requests.csv").write_text(
        "name,attempt,scheduled_s,start_s,elapsed_ms,status,ok\n"
        "checkout,1,0.5,0.6,12.5,201,1\n"
        "checkout (sold out),1,0.7,0.7,3.25,409,1\n"
    )
    finalise_report(tmp_path, workers=0)
    report = json.loads((tmp_path / "load_report.json").read_text())
    assert report["fired_checkouts"] == 1
    assert report["latency_ms"]["checkout"]["p99"] == 12.5
    assert report["latency_ms"]["checkout (sold out)"]["count"] == 1


def test_finalise_names_an_unreadable_timing_file_instead_of_failing(tmp_path: Path) -> None:
    (tmp_path / "load_report.json").write_text(json.dumps({"fired_checkouts": 1}))
    (tmp_path / "requests.csv").write_text(
        "name,attempt,scheduled_s,start_s,elapsed_ms,status,ok\ncheckout,1,0.5\n"
    )
    report = finalise_report(tmp_path, workers=0)
    assert report is not None
    assert report["latency_ms"] == {}
    assert "requests.csv: line 2" in report["latency_error"]


def test_finalise_writes_nothing_when_no_process_left_a_report(tmp_path: Path) -> None:
    assert finalise_report(tmp_path, workers=0) is None
    assert finalise_report(tmp_path, workers=2) is None
    assert not (tmp_path / "load_report.json").exists()


def test_merge_command_for_reports_gathered_from_several_machines(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from scenarios.load_process import main

    assert main([str(tmp_path), "--workers", "2"]) == 2
    assert "no load_report-worker*.json" in capsys.readouterr().err
    _write_worker(tmp_path, 0, [10.0])
    _write_worker(tmp_path, 1, [20.0])
    assert main([str(tmp_path), "--workers", "2"]) == 0
    printed = json.loads(capsys.readouterr().out)
    assert printed["fired_checkouts"] == 2 and printed["latency_ms"]["checkout"]["max"] == 20.0
    with pytest.raises(SystemExit) as exit_:
        main([str(tmp_path), "--workers", "0"])
    assert exit_.value.code == 2


def _process(tmp_path: Path, name: str, code: str) -> Service:
    return Service(name=name, argv=[sys.executable, "-c", code], log_path=tmp_path / f"{name}.log")


def test_a_worker_gone_while_the_master_runs_fails_the_run(tmp_path: Path) -> None:
    group = build(locustfile=LOCUSTFILE, config=tmp_path, host="h", results=tmp_path, workers=1)
    group.argv = [sys.executable, "-c", "import time; time.sleep(60)"]
    group.workers = [_process(tmp_path, "locust worker 0", "print('boom'); raise SystemExit(3)")]
    group.start()
    try:
        worker_popen = group.workers[0].popen
        assert worker_popen is not None
        worker_popen.wait()
        with pytest.raises(ProcessFailed, match=r"locust worker 0 exited with 3 while the load"):
            group.alive()
    finally:
        group.stop()
    assert not group.alive()  # stopped: the leader's SIGTERM is the caller's to report


def test_a_worker_failing_after_a_clean_master_fails_the_run(tmp_path: Path) -> None:
    group = build(locustfile=LOCUSTFILE, config=tmp_path, host="h", results=tmp_path, workers=2)
    group.argv = [sys.executable, "-c", "pass"]
    group.workers = [
        _process(tmp_path, "locust worker 0", "pass"),
        _process(tmp_path, "locust worker 1", "raise SystemExit(4)"),
    ]
    group.start()
    assert group.popen is not None
    group.popen.wait()
    for worker in group.workers:
        assert worker.popen is not None
        worker.popen.wait()
    _write_worker(tmp_path, 0, [10.0])
    with pytest.raises(ProcessFailed, match="locust worker 1 exited with 4 after the master"):
        group.alive()
    # the report was merged before the failure was raised, for the post-mortem
    assert json.loads((tmp_path / "load_report.json").read_text())["drained"] is False


def test_a_worker_told_to_quit_before_the_master_exits_is_not_a_failure(tmp_path: Path) -> None:
    group = build(locustfile=LOCUSTFILE, config=tmp_path, host="h", results=tmp_path, workers=1)
    group.argv = [sys.executable, "-c", "import time; time.sleep(60)"]
    group.workers = [_process(tmp_path, "locust worker 0", "pass")]
    group.start()
    try:
        worker_popen = group.workers[0].popen
        assert worker_popen is not None
        assert worker_popen.wait() == 0
        assert group.alive()
    finally:
        group.stop()
