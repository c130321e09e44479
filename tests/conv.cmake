# Convolutions: conv2d and conv_transpose2d (helper "conv"). p2p_conv_transpose2d links p2p_conv2d.
p2p_cpu_test(test_conv SOURCES test_conv2d.cpp test_conv_transpose2d.cpp test_conv_config.cpp LIBS p2p_conv_transpose2d)
