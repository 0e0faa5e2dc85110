// Function multi-versioning for the element-wise kernels (internal header).
//
// The build targets baseline x86-64 (SSE2); on x86-64 GCC/Clang the hot loops are also compiled
// for x86-64-v3 (AVX2) and x86-64-v4 (AVX-512) and picked at load time. The target compiles with
// -ffp-contract=off, so every clone computes bit-identical results (vector width does not change
// element-wise IEEE arithmetic).
#pragma once

#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__) && defined(__linux__)
#define MEMGAN_XBAR_SIMD_CLONES __attribute__((target_clones("arch=x86-64-v4", "arch=x86-64-v3", "default")))
#else
#define MEMGAN_XBAR_SIMD_CLONES
#endif
