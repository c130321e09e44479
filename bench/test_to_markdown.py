#!/usr/bin/env python3
"""Checks bench/to_markdown.py on the hand-made bench/sample.json: python3 bench/test_to_markdown.py"""
import shutil
import subprocess
import sys
import tempfile
import unittest
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import to_markdown  # noqa: E402


def table_rows(text):
    """{(shape, batch, op): [cells]} from the markdown tables."""
    rows = {}
    for line in text.splitlines():
        cells = [c.strip() for c in line.strip().strip("|").split("|")]
        if line.startswith("| ") and len(cells) == 11 and cells[0] != "shape":
            rows[(cells[0], cells[1], cells[2])] = cells
    return rows


class ToMarkdownTest(unittest.TestCase):
    def setUp(self):
        rows, contexts = to_markdown.load_runs([HERE / "sample.json"])
        self.text = to_markdown.render(rows, contexts)
        self.rows = table_rows(self.text)

    def test_ratios_and_units(self):
        fwd = self.rows[("L:3x8x8->4,k4s2p1", "n1", "forward")]
        # ours 2 ms, ours TF32 250 us; cuDNN fp32 1000 us = 1 ms; TF32 0.5 ms: ours TF32 pairs with cuDNN TF32
        self.assertEqual(fwd[3], "2.000")
        self.assertEqual(fwd[4], "100 GFLOP/s")
        self.assertEqual(fwd[5], "0.2500")
        self.assertEqual(fwd[6], "cudnn_fp32")
        self.assertEqual(fwd[7], "1.000")
        self.assertEqual(fwd[8], "0.5000")
        self.assertEqual(fwd[9], "2.00")
        self.assertEqual(fwd[10], "0.50")

    def test_error_shown_and_no_ratio(self):
        bw = self.rows[("L:3x8x8->4,k4s2p1", "n1", "backward_weight")]
        self.assertEqual(bw[5], "-")  # no ours_tf32 row: its TF32 ratio would fall back to ours
        self.assertEqual(bw[9], "0.50")
        self.assertTrue(bw[8].startswith("error: cuDNN returned no usable"))
        self.assertEqual(bw[10], "-")

    def test_median_aggregate_wins_over_repetitions(self):
        bn = self.rows[("L:4x4x4", "n16", "batch_norm_forward")]
        self.assertEqual(bn[3], "1.500")
        self.assertEqual(bn[4], "200 GB/s")
        self.assertEqual(bn[6], "cudnn")
        self.assertEqual(bn[9], "0.50")
        self.assertEqual(bn[10], "-")

    def test_yardstick_and_geomean(self):
        adam = self.rows[("P:7", "flat", "adam")]
        self.assertEqual(adam[6], "cublas_yardstick")
        self.assertEqual(adam[9], "0.50")
        # conv: ratios 2.0 and 0.5 -> geometric mean 1.00; TF32 only forward's ours_tf32 0.5
        self.assertIn("Geometric mean of ours / fp32 twin: 1.00; of ours TF32 (else ours) / TF32 twin: 0.50", self.text)

    def test_bad_name_is_rejected(self):
        with self.assertRaises(ValueError):
            to_markdown.split_name("conv/too/short")

    def test_readme_section_replaced_between_markers(self):
        with tempfile.TemporaryDirectory() as d:
            readme = Path(d) / "README.md"
            readme.write_text(f"# top\n{to_markdown.BEGIN}\nold text\n{to_markdown.END}\ntail\n")
            for _ in range(2):  # idempotent: a second run gives the same file
                subprocess.run([sys.executable, str(HERE / "to_markdown.py"), str(HERE / "sample.json"), "--readme",
                                str(readme)], check=True, capture_output=True)
            text = readme.read_text()
            self.assertTrue(text.startswith("# top\n"))
            self.assertTrue(text.endswith(f"{to_markdown.END}\ntail\n"))
            self.assertNotIn("old text", text)
            self.assertEqual(text.count("| shape |"), 3)

    def test_missing_markers_fail(self):
        with tempfile.TemporaryDirectory() as d:
            readme = Path(d) / "README.md"
            readme.write_text("no markers\n")
            r = subprocess.run([sys.executable, str(HERE / "to_markdown.py"), str(HERE / "sample.json"), "--readme",
                                str(readme)], capture_output=True, text=True)
            self.assertNotEqual(r.returncode, 0)
            self.assertIn("markers", r.stderr)
            self.assertEqual(readme.read_text(), "no markers\n")


if __name__ == "__main__":
    unittest.main()
