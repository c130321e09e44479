# Tests of the whole-step benchmark command (gan bench).
p2p_cpu_test(test_bench_command SOURCES test_bench_command.cpp LIBS p2p_cli)
# The README's performance section is the one bench/perf_report.py generates from the newest
# committed bench/results/*.json (or says there is none).
add_test(NAME readme_perf COMMAND python3 ${PROJECT_SOURCE_DIR}/bench/perf_report.py readme
                                  ${PROJECT_SOURCE_DIR}/README.md --check)
set_tests_properties(readme_perf PROPERTIES LABELS cpu)
# bench/perf_report.py itself: pairing, ratios, absent fields, the targets line, the README check.
add_test(NAME perf_report COMMAND python3 ${PROJECT_SOURCE_DIR}/bench/test_perf_report.py)
set_tests_properties(perf_report PROPERTIES LABELS cpu)
