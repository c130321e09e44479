# Every input that ever broke a reader (tests/fuzz/regressions/<target>/) through the real reader, in
# every build: a clean result or a clear error naming the file.
p2p_cpu_test(test_fuzz_regressions SOURCES fuzz/regressions.cpp fuzz/readers.cpp LIBS p2p_data)
target_compile_definitions(test_fuzz_regressions PRIVATE P2P_FUZZ_DIR="${CMAKE_CURRENT_SOURCE_DIR}/fuzz")
