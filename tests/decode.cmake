# The image decoders (data/decoders.h): Pillow's conversions of every PNG colour type and bit depth,
# and the errors on truncated, damaged or oversized files.
find_package(PNG REQUIRED)
p2p_cpu_test(test_decode SOURCES test_decode.cpp LIBS p2p_data PNG::PNG)
