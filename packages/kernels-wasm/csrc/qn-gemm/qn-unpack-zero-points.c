/* Unpacks MatMulNBits zero points (uint8 [n, ceil(kBlocks * bits / 8)], 4-bit low nibble first)
 * into one byte per block, uint8 [n * kBlocks], once at weight-load time. */
#include "../common/xk-common.h"

void XK_EXPORT(xk_qn_unpack_zero_points)(size_t n, size_t blocks, size_t bits, const uint8_t *XK_RESTRICT packed,
                                         uint8_t *XK_RESTRICT out) {
  const size_t stride = (blocks * bits + 7) / 8;
  for (size_t j = 0; j < n; j++) {
    for (size_t b = 0; b < blocks; b++) {
      const uint8_t byte = packed[j * stride + (bits == 4 ? b >> 1 : b)];
      out[j * blocks + b] = bits == 4 ? (uint8_t)((byte >> ((b & 1) * 4)) & 0x0F) : byte;
    }
  }
}
