# The op cases (tests/op_case.h): one list per op family, every test mode driven from it.
add_library(p2p_op_cases STATIC op_harness.cpp op_cases_conv.cpp op_cases_norm.cpp op_cases_pointwise.cpp
                                op_cases_pad.cpp op_cases_vae.cpp op_cases_stats.cpp)
target_link_libraries(p2p_op_cases PUBLIC p2p_testing p2p_kernels p2p_models)
p2p_cpu_test(test_ops SOURCES test_ops.cpp LIBS p2p_op_cases)
# The health statistics' reference against sums worked by hand, and their errors.
p2p_cpu_test(test_stats SOURCES test_stats.cpp LIBS p2p_stats)
p2p_gpu_test(gpu_test_ops SOURCES gpu_test_ops.cpp LIBS p2p_op_cases FILTERS "[conv]~[tf32]" "[tf32]" "[conv_config]" "[norm]" "[pointwise]" "[pad]" "[vae]" "[stats]")
if(P2P_CUDA)
  add_test(NAME "bad P2P_OP_SHAPES" COMMAND gpu_test_ops "[pointwise]")
  set_tests_properties("bad P2P_OP_SHAPES" PROPERTIES ENVIRONMENT P2P_OP_SHAPES=small SKIP_RETURN_CODE 77 LABELS gpu
                       PASS_REGULAR_EXPRESSION "P2P_OP_SHAPES=small: expected reduced or full")
endif()
