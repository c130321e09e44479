#!/usr/bin/env python3
"""Checks bench/perf_report.py on the hand-made bench/sample.json and a hand-made step result:
python3 bench/test_perf_report.py (ctest perf_report)."""
import json
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import perf_report  # noqa: E402

STEP = {
    "device": "cuda",
    "device_info": "hand-made step sample, NOT a measurement",
    "results": [
        {"batch_size": 1, "data": "excluded", "ms_per_step_mean": 4.0, "ms_per_step_min": 3.9,
         "ms_per_step_median": 4.0, "images_per_s": 250.0, "cuda_mallocs": 0},
        {"batch_size": 1, "data": "excluded", "graph": True, "ms_per_step_mean": 2.5, "ms_per_step_min": 2.4,
         "ms_per_step_median": 2.5, "images_per_s": 400.0, "cuda_mallocs": 0},
        {"batch_size": 16, "data": "excluded", "ms_per_step_mean": 20.0, "ms_per_step_min": 19.0,
         "ms_per_step_median": 20.0, "images_per_s": 800.0, "cuda_mallocs": 2},
    ],
}


def cells(text, first):
    """The cells of the table row whose first cell is `first`."""
    for line in text.splitlines():
        c = [x.strip() for x in line.strip().strip("|").split("|")]
        if line.startswith("| ") and c[0] == first:
            return c
    return None


class PerfReportTest(unittest.TestCase):
    def setUp(self):
        self.tmp = tempfile.TemporaryDirectory()
        self.dir = Path(self.tmp.name)
        (self.dir / "step.json").write_text(json.dumps(STEP))
        self.r = perf_report.combine(HERE / "sample.json", self.dir / "step.json", "abc1234", False)
        self.md = perf_report.markdown(self.r)

    def tearDown(self):
        self.tmp.cleanup()

    def test_conv_rows_pair_ours_with_both_twins(self):
        # Only the conv family; the sample's forward: ours 2 ms, ours TF32 250 us, FP32 1000 us, TF32 0.5 ms.
        self.assertEqual([(c["pass"], c["batch"]) for c in self.r["conv"]], [("forward", 1), ("backward_weight", 1)])
        fwd = self.r["conv"][0]
        self.assertEqual((fwd["ours_ms"], fwd["ours_tf32_ms"], fwd["cudnn_fp32_ms"], fwd["cudnn_tf32_ms"]),
                         (2.0, 0.25, 1.0, 0.5))
        # Each of ours against cuDNN in the same arithmetic: FP32 2 / 1, TF32 0.25 / 0.5.
        self.assertEqual(cells(self.md, "L:3x8x8->4,k4s2p1")[-2:], ["2.00", "0.50"])
        # backward-weight's TF32 twin failed, and ours TF32 is absent: no times, no ratio.
        self.assertIsNone(self.r["conv"][1]["cudnn_tf32_ms"])
        self.assertIsNone(self.r["conv"][1]["ours_tf32_ms"])
        self.assertIn("| L:3x8x8->4,k4s2p1 | 1 | backward_weight | 3.0000 | 6.0000 | - | - | 0.50 | - |", self.md)

    def test_step_rows_tolerate_a_missing_graph_field(self):
        self.assertIn("| 1 | excluded | - | 4.000 | 4.000 | 250.0 | 0 |", self.md)
        self.assertIn("| 1 | excluded | on | 2.500 | 2.500 | 400.0 | 0 |", self.md)
        self.assertIn("| 16 | excluded | - | 20.000 | 20.000 | 800.0 | 2 |", self.md)

    def test_targets_line_takes_the_best_rows_and_the_worst_conv(self):
        self.assertIn("batch 1 best 2.500 ms/step", self.md)
        self.assertIn("batch 16 best 800.0 images/s", self.md)
        self.assertIn("slowest conv's TF32 ratio 0.50", self.md)

    def test_readme_section_from_the_newest_result_and_its_check(self):
        results = self.dir / "results"
        results.mkdir()
        readme = self.dir / "README.md"
        readme.write_text(f"head\n{perf_report.BEGIN}\nold\n{perf_report.END}\ntail\n")
        script = [sys.executable, str(HERE / "perf_report.py"), "readme", str(readme), "--results", str(results)]
        # Stale, then regenerated (no result: the placeholder), then current.
        self.assertNotEqual(subprocess.run(script + ["--check"], capture_output=True).returncode, 0)
        subprocess.run(script, check=True)
        self.assertIn("No GPU measurement committed yet", readme.read_text())
        subprocess.run(script + ["--check"], check=True)
        for name in ("2026-01-01-a.json", "2026-02-01-b.json"):
            (results / name).write_text(json.dumps(dict(self.r, date=name[:10])))
        self.assertNotEqual(subprocess.run(script + ["--check"], capture_output=True).returncode, 0)
        subprocess.run(script, check=True)
        text = readme.read_text()
        self.assertIn("From `bench/results/2026-02-01-b.json`", text)
        self.assertTrue(text.startswith("head\n") and text.endswith(f"{perf_report.END}\ntail\n"))


if __name__ == "__main__":
    unittest.main()
