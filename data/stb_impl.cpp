// The one translation unit that compiles stb_image and stb_image_write (Debian's libstb-dev headers;
// no stb code is copied here). stb_image reads BMP only: JPEG and PNG go through libjpeg-turbo and
// libpng (data/decoders.h), after Debian's stb_image was found writing out of bounds on a corrupt
// JPEG (tests/fuzz/regressions/fuzz_image/stb-huffman-oob.jpg).
#define STB_IMAGE_IMPLEMENTATION
#define STBI_ONLY_BMP
#define STBI_NO_STDIO
#define STB_IMAGE_WRITE_IMPLEMENTATION
#define STBI_WRITE_NO_STDIO
#include "stb_image.h"
#include "stb_image_write.h"
