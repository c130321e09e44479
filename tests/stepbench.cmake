# Tests of the whole-step benchmark command (gan bench).
p2p_cpu_test(test_bench_command SOURCES test_bench_command.cpp LIBS p2p_cli)
