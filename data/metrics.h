// Image quality measures for evaluation.
//
// mean_l1(a, b)  = mean |a - b| over all elements of two same-shape tensors (the generator's L1
//                  term on [-1, 1] images, without lambda).
// psnr(a, b)     = 10 log10(255^2 / MSE), MSE over all pixels and channels of two same-size 8-bit
//                  images; +infinity when they are identical (MSE = 0).
// ssim(a, b)     = SSIM of Wang, Bovik, Sheikh & Simoncelli (IEEE TIP 2004), per channel:
//                  mu, sigma^2 and sigma_xy are weighted by an 11x11 Gaussian window (sigma 1.5,
//                  weights normalised to sum 1, biased moments), at every 'valid' window position
//                  (the window wholly inside the image: (H - 10) x (W - 10) positions), then
//                  SSIM = (2 mu_x mu_y + C1)(2 sigma_xy + C2) / ((mu_x^2 + mu_y^2 + C1)(sigma_x^2 +
//                  sigma_y^2 + C2)), C1 = (0.01 * 255)^2, C2 = (0.03 * 255)^2, averaged over the
//                  positions and then over the channels. 1 for identical images; symmetric. Images
//                  must be at least 11x11. (This is the reference MATLAB ssim_index / scikit-image
//                  structural_similarity(gaussian_weights=True, sigma=1.5, use_sample_covariance=False)
//                  definition, with the mean over valid positions only.)
//
// Refinement of notes/nn_api.md: the functions are named mean_l1 / psnr / ssim and take Image.
#pragma once
#include "data/image.h"
#include "runtime/tensor.h"

namespace p2p {

double mean_l1(const Tensor& a, const Tensor& b);
double psnr(const Image& a, const Image& b);
double ssim(const Image& a, const Image& b);

}  // namespace p2p
