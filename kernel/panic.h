/*
 * panic(): print a message that says what broke and stop. The kernel's version prints to every
 * console and halts (or, in test mode, fails the run); host unit tests link their own version that
 * records the message and longjmps back, so invariant checks can be tested.
 */
#ifndef PAGODA_PANIC_H
#define PAGODA_PANIC_H

__attribute__((noreturn, format(printf, 1, 2))) void panic(const char *fmt, ...);

#endif
