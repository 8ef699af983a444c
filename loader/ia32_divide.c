/*
 * 64-bit division for the IA32 loader. Clang's i686-windows target turns u64 '/' and '%' into
 * calls to the MSVC runtime helpers __aulldiv/__aullrem, which a /nodefaultlib EFI image must
 * bring itself. Shift-and-subtract: slow, but only printing divides 64-bit numbers.
 */
#include <stdint.h>

uint64_t ia32_udivmod64(uint64_t dividend, uint64_t divisor, uint64_t *remainder);

uint64_t ia32_udivmod64(uint64_t dividend, uint64_t divisor, uint64_t *remainder)
{
    uint64_t quotient = 0, rest = 0;

    if (divisor == 0) { /* no trap in a boot loader: an impossible answer instead */
        if (remainder != 0)
            *remainder = dividend;
        return UINT64_MAX;
    }
    for (int bit = 63; bit >= 0; bit--) {
        rest = (rest << 1) | ((dividend >> bit) & 1);
        if (rest >= divisor) {
            rest -= divisor;
            quotient |= 1ull << bit;
        }
    }
    if (remainder != 0)
        *remainder = rest;
    return quotient;
}
