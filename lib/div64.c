/*
 * The compiler runtime's 64-bit division for i686: a 32-bit target divides uint64_t by calling
 * __udivdi3 / __umoddi3, and the kernel links no libgcc or compiler-rt. Shift-and-subtract:
 * used only by printing and timing code, never on a hot path.
 */
#include <stdint.h>

uint64_t __udivmoddi4(uint64_t dividend, uint64_t divisor, uint64_t *remainder);
uint64_t __udivdi3(uint64_t dividend, uint64_t divisor);
uint64_t __umoddi3(uint64_t dividend, uint64_t divisor);
int64_t __divdi3(int64_t dividend, int64_t divisor);
int64_t __moddi3(int64_t dividend, int64_t divisor);

uint64_t __udivmoddi4(uint64_t dividend, uint64_t divisor, uint64_t *remainder)
{
    if (divisor == 0) {
        __builtin_trap(); /* #UD: the exception report shows where */
    }
    uint64_t quotient = 0, rest = 0;
    if ((dividend >> 32) == 0 && (divisor >> 32) == 0) {
        quotient = (uint32_t)dividend / (uint32_t)divisor;
        rest = (uint32_t)dividend % (uint32_t)divisor;
    } else {
        for (int bit = 63; bit >= 0; bit--) {
            rest = (rest << 1) | ((dividend >> bit) & 1u);
            if (rest >= divisor) {
                rest -= divisor;
                quotient |= 1ull << bit;
            }
        }
    }
    if (remainder)
        *remainder = rest;
    return quotient;
}

uint64_t __udivdi3(uint64_t dividend, uint64_t divisor)
{
    return __udivmoddi4(dividend, divisor, 0);
}

uint64_t __umoddi3(uint64_t dividend, uint64_t divisor)
{
    uint64_t rest;
    __udivmoddi4(dividend, divisor, &rest);
    return rest;
}

int64_t __divdi3(int64_t dividend, int64_t divisor)
{
    uint64_t a = dividend < 0 ? -(uint64_t)dividend : (uint64_t)dividend;
    uint64_t b = divisor < 0 ? -(uint64_t)divisor : (uint64_t)divisor;
    uint64_t q = __udivmoddi4(a, b, 0);
    return ((dividend < 0) != (divisor < 0)) ? -(int64_t)q : (int64_t)q;
}

int64_t __moddi3(int64_t dividend, int64_t divisor)
{
    uint64_t a = dividend < 0 ? -(uint64_t)dividend : (uint64_t)dividend;
    uint64_t b = divisor < 0 ? -(uint64_t)divisor : (uint64_t)divisor;
    uint64_t r;
    __udivmoddi4(a, b, &r);
    return dividend < 0 ? -(int64_t)r : (int64_t)r;
}
