#ifndef RAPPORT_CCHECKSUM_CRC32_H
#define RAPPORT_CCHECKSUM_CRC32_H
/* CRC-32 (IEEE, reflected, as zlib's) by carry-less multiplication: four 128-bit lanes
   folded 64 bytes a step, then one lane, then a Barrett reduction to 32 bits (Gopal,
   Ozturk et al., "Fast CRC Computation for Generic Polynomials Using PCLMULQDQ
   Instruction", Intel 2009). Several times the speed of the table-driven slicing-by-16
   in Persistence/CRC32.swift, which stays the fallback on other machines and for the
   bytes this does not take (see rapport_crc32_clmul). Header-only, so no C target:
   the functions are compiled into the Swift module that imports them. */
#include <stddef.h>
#include <stdint.h>

#if defined(__x86_64__) && (defined(__clang__) || defined(__GNUC__))
#include <cpuid.h>
#include <immintrin.h>

/* 1 when the processor has PCLMULQDQ and SSE4.1 (CPUID leaf 1, ECX bits 1 and 19). */
static inline int rapport_crc32_clmul_available(void) {
    unsigned int eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    return (ecx & (1u << 1)) != 0 && (ecx & (1u << 19)) != 0;
}

/* Takes and returns the CRC's running register (not inverted: the caller inverts
   before and after, as the table version does). Consumes the largest multiple of 16
   bytes of `length` when length >= 64, else nothing; *consumed says how many. Only
   call it when rapport_crc32_clmul_available() said 1. */
__attribute__((target("pclmul,sse4.1")))
static inline uint32_t rapport_crc32_clmul(uint32_t crc, const uint8_t *bytes, size_t length, size_t *consumed) {
    *consumed = 0;
    if (length < 64) return crc;
    size_t left = length & ~(size_t)15;
    *consumed = left;
    /* Reflected constants, x^k mod P with P = 0x104C11DB7: fold by 512 bits
       (x^(4*128+32), x^(4*128-32)), by 128 bits (x^(128+32), x^(128-32)), 64 to 32
       (x^64), then Barrett's P and floor(x^64 / P), all bit-reflected. */
    const __m128i fold512 = _mm_set_epi64x(0x01c6e41596LL, 0x0154442bd4LL);
    const __m128i fold128 = _mm_set_epi64x(0x00ccaa009eLL, 0x01751997d0LL);
    const __m128i fold64 = _mm_set_epi64x(0, 0x0163cd6124LL);
    const __m128i barrett = _mm_set_epi64x(0x01f7011641LL, 0x01db710641LL);
    const __m128i low32 = _mm_setr_epi32(~0, 0, ~0, 0);

    __m128i a = _mm_loadu_si128((const __m128i *)(bytes + 0));
    __m128i b = _mm_loadu_si128((const __m128i *)(bytes + 16));
    __m128i c = _mm_loadu_si128((const __m128i *)(bytes + 32));
    __m128i d = _mm_loadu_si128((const __m128i *)(bytes + 48));
    a = _mm_xor_si128(a, _mm_cvtsi32_si128((int)crc));
    bytes += 64;
    left -= 64;

    /* Four lanes, each carried 512 bits forward and joined with the next 64 bytes. */
    while (left >= 64) {
        __m128i a0 = _mm_clmulepi64_si128(a, fold512, 0x00), a1 = _mm_clmulepi64_si128(a, fold512, 0x11);
        __m128i b0 = _mm_clmulepi64_si128(b, fold512, 0x00), b1 = _mm_clmulepi64_si128(b, fold512, 0x11);
        __m128i c0 = _mm_clmulepi64_si128(c, fold512, 0x00), c1 = _mm_clmulepi64_si128(c, fold512, 0x11);
        __m128i d0 = _mm_clmulepi64_si128(d, fold512, 0x00), d1 = _mm_clmulepi64_si128(d, fold512, 0x11);
        a = _mm_xor_si128(_mm_xor_si128(a0, a1), _mm_loadu_si128((const __m128i *)(bytes + 0)));
        b = _mm_xor_si128(_mm_xor_si128(b0, b1), _mm_loadu_si128((const __m128i *)(bytes + 16)));
        c = _mm_xor_si128(_mm_xor_si128(c0, c1), _mm_loadu_si128((const __m128i *)(bytes + 32)));
        d = _mm_xor_si128(_mm_xor_si128(d0, d1), _mm_loadu_si128((const __m128i *)(bytes + 48)));
        bytes += 64;
        left -= 64;
    }

    /* Four lanes into one, carried 128 bits at a time; then any 16-byte blocks left. */
    __m128i x = a;
    __m128i next[3] = { b, c, d };
    for (int i = 0; i < 3; i++) {
        __m128i x0 = _mm_clmulepi64_si128(x, fold128, 0x00), x1 = _mm_clmulepi64_si128(x, fold128, 0x11);
        x = _mm_xor_si128(_mm_xor_si128(x0, x1), next[i]);
    }
    while (left >= 16) {
        __m128i x0 = _mm_clmulepi64_si128(x, fold128, 0x00), x1 = _mm_clmulepi64_si128(x, fold128, 0x11);
        x = _mm_xor_si128(_mm_xor_si128(x0, x1), _mm_loadu_si128((const __m128i *)bytes));
        bytes += 16;
        left -= 16;
    }

    /* 128 bits to 64, then to the 32-bit remainder by Barrett reduction. */
    __m128i t = _mm_clmulepi64_si128(x, fold128, 0x10);
    x = _mm_xor_si128(_mm_srli_si128(x, 8), t);
    t = _mm_srli_si128(x, 4);
    x = _mm_clmulepi64_si128(_mm_and_si128(x, low32), fold64, 0x00);
    x = _mm_xor_si128(x, t);
    t = _mm_clmulepi64_si128(_mm_and_si128(x, low32), barrett, 0x10);
    t = _mm_clmulepi64_si128(_mm_and_si128(t, low32), barrett, 0x00);
    x = _mm_xor_si128(x, t);
    return (uint32_t)_mm_extract_epi32(x, 1);
}
#else
static inline int rapport_crc32_clmul_available(void) { return 0; }
static inline uint32_t rapport_crc32_clmul(uint32_t crc, const uint8_t *bytes, size_t length, size_t *consumed) {
    (void)bytes; (void)length;
    *consumed = 0;
    return crc;
}
#endif
#endif
