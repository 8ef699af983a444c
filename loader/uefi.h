/*
 * gnu-efi's headers, included the one way that works for both PE targets.
 *
 * Clang's *-windows targets do not define __GNUC__, so gnu-efi's efibind.h would not pull in
 * <stdint.h> for IA32: include it first. Only the headers are used, never libefi: every GUID the
 * loader needs is defined where it is used.
 */
#ifndef PAGODA_LOADER_UEFI_H
#define PAGODA_LOADER_UEFI_H

#include <stddef.h>
#include <stdint.h>
#include <efi.h>

#if defined(__x86_64__)
#define LOADER_ARCH_NAME     "x64"
#define LOADER_FIRMWARE_KIND PAGODA_FIRMWARE_UEFI_X64
#elif defined(__i386__)
#define LOADER_ARCH_NAME     "ia32"
#define LOADER_FIRMWARE_KIND PAGODA_FIRMWARE_UEFI_IA32
#else
#error "the Pagoda loader builds for x86_64 and i386 only"
#endif

#endif
