/*
 * Entry of the Multiboot test kernels, and their headers. TESTK_MB picks the version (1 or 2),
 * TESTK_ADDRESS_FIELDS the a.out-kludge variant (flat binary, load addresses in the header).
 *
 * Nothing may be assumed on entry but what the specification promises: EAX the magic, EBX the
 * information, flat segments, paging and interrupts off; ESP is undefined. So before anything
 * touches the stack, the code finds where it runs: the relocatable Multiboot 2 kernel reads its
 * load base from the information (tag 21) with registers only; the others run where linked.
 * Then EFLAGS as it was at entry, the magic and the information go to testk_main.
 */
#define MB1_MAGIC 0x1BADB002
#define MB2_MAGIC 0xE85250D6

#if TESTK_MB == 1
/* page-aligned modules, memory information, video mode; the address fields in the kludge build */
#if TESTK_ADDRESS_FIELDS
#define MB1_FLAGS 0x00010007
#else
#define MB1_FLAGS 0x00000007
#endif
#endif

    .section .multiboot, "a"
#if TESTK_MB == 1
    .align 4
mb1_header:
    .long   MB1_MAGIC
    .long   MB1_FLAGS
    .long   -(MB1_MAGIC + MB1_FLAGS)
#if TESTK_ADDRESS_FIELDS
    .long   mb1_header          /* header_addr */
    .long   __image_start       /* load_addr */
    .long   __data_end          /* load_end_addr */
    .long   __bss_end           /* bss_end_addr */
    .long   _start              /* entry_addr */
#else
    .long   0, 0, 0, 0, 0
#endif
    .long   0                   /* mode_type: linear framebuffer */
    .long   800, 600, 32        /* width, height, depth */
#else
    .align 8
mb2_header:
    .long   MB2_MAGIC
    .long   0                   /* i386 */
    .long   mb2_header_end - mb2_header
    .long   -(MB2_MAGIC + (mb2_header_end - mb2_header))

    /* Required: command line, loader name, modules, basic meminfo, mmap, framebuffer, EFI mmap. */
    .align 8
1:  .short  1, 0
    .long   2f - 1b
    .long   1, 2, 3, 4, 6, 8, 17
2:
    /* Optional: both ACPI RSDPs, both EFI system tables and image handles. */
    .align 8
1:  .short  1, 1
    .long   2f - 1b
    .long   14, 15, 11, 12, 19, 20
2:
#if !TESTK_ADDRESS_FIELDS
    /* Required: the load base (only relocatable kernels get it). */
    .align 8
1:  .short  1, 0
    .long   2f - 1b
    .long   21
2:
#endif
    .align 8                    /* console flags: a console is required, no EGA text */
    .short  4, 0
    .long   12
    .long   1
    .align 8                    /* framebuffer: 1024x768, 32 bits */
    .short  5, 0
    .long   20
    .long   1024, 768, 32
    .align 8                    /* module alignment */
    .short  6, 0
    .long   8
    .align 8                    /* EFI boot services, optional: the loader ignores it */
    .short  7, 1
    .long   8
    .align 8                    /* EFI amd64 entry, used only with boot services kept */
    .short  9, 1
    .long   12
    .long   testk_wrong_entry
#if TESTK_ADDRESS_FIELDS
    .align 8                    /* address tag */
    .short  2, 0
    .long   24
    .long   mb2_header, __image_start, __data_end, __bss_end
#else
    .align 8                    /* relocatable: 16 MiB .. 1 GiB, page-aligned, highest */
    .short  10, 0
    .long   24
    .long   0x01000000, 0x40000000, 0x1000, 2
#endif
    .align 8                    /* entry address: replaces e_entry (testk_wrong_entry) */
    .short  3, 0
    .long   12
    .long   _start
    .align 8                    /* end */
    .short  0, 0
    .long   8
mb2_header_end:
#endif

    .text
    .globl  _start
_start:
    movl    %eax, %edi          /* the magic */
    movl    %ebx, %esi          /* the information */
    xorl    %edx, %edx          /* where the image runs minus where it was linked */
#if TESTK_MB == 2 && !TESTK_ADDRESS_FIELDS
    leal    8(%ebx), %ecx       /* the first tag */
1:  movl    (%ecx), %eax
    testl   %eax, %eax
    jz      3f                  /* end tag: no load base (the kernel fails that check later) */
    cmpl    $21, %eax
    je      2f
    movl    4(%ecx), %eax
    addl    $7, %eax
    andl    $~7, %eax
    addl    %eax, %ecx
    jmp     1b
2:  movl    8(%ecx), %edx
    subl    $__image_start, %edx
3:
#endif
    movl    $testk_stack_top, %esp
    addl    %edx, %esp
    pushfl                      /* EFLAGS as the loader left it: only cmp/add/sub ran */
    popl    %eax
    pushl   %edx                /* delta, from the load base */
    pushl   %eax                /* eflags */
    pushl   %esi                /* info */
    pushl   %edi                /* magic */
    call    testk_main
4:  cli
    hlt
    jmp     4b

/* Where a loader would jump if it ignored the entry address tag (or honoured the EFI entry). */
    .globl  testk_wrong_entry
testk_wrong_entry:
    movl    $testk_stack_top, %esp
    call    testk_entered_wrong
5:  cli
    hlt
    jmp     5b

    .bss
    .align 16
    .globl  testk_stack_top
    .skip   16384
testk_stack_top:

    .text
/* uint32_t testk_delta(void): where this code runs minus where it was linked. */
    .globl  testk_delta
testk_delta:
    call    1f
1:  popl    %eax
    subl    $1b, %eax
    ret
