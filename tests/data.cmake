# The data pipeline: images, resizing, metrics, synthetic pairs, the aligned dataset and the loader.
p2p_cpu_test(test_data SOURCES test_image.cpp test_data.cpp LIBS p2p_data)
# The facades set, when present beside the repository (shared/data/facades) or at $P2P_FACADES.
target_compile_definitions(test_data PRIVATE P2P_FACADES_DIR="${PROJECT_SOURCE_DIR}/../shared/data/facades")
