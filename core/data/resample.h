// Resampling an image set to another size: a network whose discriminator takes 64 x 64 images
// trains on Fashion-MNIST's 28 x 28 ones resized, as torchvision's Resize does.
#pragma once

#include "core/data/idx.h"

namespace memgan::data {

// Bilinear resampling of every image to rows x cols, pixel centres aligned (PyTorch's
// interpolate with align_corners = false), rounded to the nearest 8-bit value; labels kept.
// Throws std::invalid_argument for a non-positive size.
ImageSet resize_bilinear(const ImageSet& set, int rows, int cols);

}  // namespace memgan::data
