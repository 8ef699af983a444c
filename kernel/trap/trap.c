#include "trap.h"

#include "exc_decode.h"
#include "../arch/pic.h"
#include "../arch/tss.h"
#include "../arch/x86.h"
#include "../console/console.h"
#include "../console/input.h"
#include "../console/serial.h"
#include "../arch/vectors.h"
#include "../kernel.h"
#include "../panic.h"
#include "../proc/foreground.h"
#include "../proc/proc.h"
#include "../proc/sched.h"
#include "../proc/syscalls.h"
#include "../vm/space.h"

#define IRQ_FIRST_VECTOR VECTOR_PIC_FIRST
#define IRQ_LAST_VECTOR  VECTOR_PIC_LAST

static struct {
    bool armed;
    bool caught;
    uint32_t vector;
    uintptr_t resume_eip;
    struct fault_record record;
} expectation;

static uint32_t irq_count;
static int handler_depth;

void fault_expect(uint32_t vector, uintptr_t resume_eip)
{
    expectation.vector = vector;
    expectation.resume_eip = resume_eip;
    expectation.caught = false;
    __asm__ volatile("" ::: "memory");
    expectation.armed = true;
}

bool fault_take(struct fault_record *record)
{
    expectation.armed = false;
    __asm__ volatile("" ::: "memory");
    if (expectation.caught && record)
        *record = expectation.record;
    bool caught = expectation.caught;
    expectation.caught = false;
    return caught;
}

uint32_t trap_irq_count(void)
{
    return irq_count;
}

/* The walk of va through the tables the CPU uses, level by level. */
static void print_walk(uint32_t va)
{
    char text[640];
    const struct vm_space *space = vm_space_current();
    if (!space) {
        kprintf("  (paging: the boot page directory is active; no walk)\n");
        return;
    }
    struct paging_walk walk;
    vm_space_translate(space, va, &walk);
    paging_walk_describe(&walk, text, sizeof(text));
    kprintf("  walk of 0x%08x through the %s tables (CR3 0x%08x):\n", va,
            vm_space_paging(space)->mode->name, read_cr3());
    for (char *line = text; *line;) {
        char *end = line;
        while (*end && *end != '\n')
            end++;
        kprintf("  %.*s\n", (int)(end - line), line);
        line = *end ? end + 1 : end;
    }
}

static void report_registers(const struct isr_frame *f)
{
    uint32_t esp = isr_frame_esp(f);
    kprintf("  EIP=%08x  CS=%04x  EFLAGS=%08x%s%s\n", f->eip, f->cs & 0xFFFFu, f->eflags,
            (f->eflags & EFLAGS_IF) ? " IF" : "", (f->eflags & EFLAGS_TF) ? " TF" : "");
    kprintf("  EAX=%08x  EBX=%08x  ECX=%08x  EDX=%08x\n", f->eax, f->ebx, f->ecx, f->edx);
    kprintf("  ESI=%08x  EDI=%08x  EBP=%08x  ESP=%08x\n", f->esi, f->edi, f->ebp, esp);
    kprintf("  DS=%04x ES=%04x FS=%04x GS=%04x\n", f->ds & 0xFFFFu, f->es & 0xFFFFu,
            f->fs & 0xFFFFu, f->gs & 0xFFFFu);
    uint32_t cr0 = read_cr0(), cr4 = read_cr4();
    kprintf("  CR0=%08x (PG=%u CD=%u NW=%u WP=%u)  CR3=%08x  CR4=%08x (PAE=%u PSE=%u PGE=%u)\n",
            cr0, !!(cr0 & CR0_PG), !!(cr0 & CR0_CD), !!(cr0 & CR0_NW), !!(cr0 & CR0_WP), read_cr3(),
            cr4, !!(cr4 & CR4_PAE), !!(cr4 & CR4_PSE), !!(cr4 & CR4_PGE));
}

static void report_exception(const struct isr_frame *f, uint32_t cr2)
{
    char decoded[160];
    console_set_color(CONSOLE_BAD);
    kprintf("\n*** CPU exception %u: %s %s ***\n", f->vector, exc_mnemonic(f->vector),
            exc_name(f->vector));
    console_set_color(CONSOLE_NORMAL);
    if (exc_has_error_code(f->vector))
        kprintf("  error code 0x%08x: %s\n", f->error_code,
                exc_decode_error(f->vector, f->error_code, decoded, sizeof(decoded)));
    if (f->vector == EXC_PF) {
        kprintf("  CR2=%08x (the linear address that faulted), %s mode\n", cr2,
                (f->error_code & PF_ERR_USER) ? "user" : "kernel");
        print_walk(cr2);
    }
    report_registers(f);
}

/* The interrupted task's registers are in tss_main: the CPU saved them there on the switch. */
void double_fault_task(uint32_t error_code)
{
    const struct tss32 *t = &tss_main;
    console_set_color(CONSOLE_BAD);
    kprintf("\n*** CPU exception %u: %s %s (on its own task and stack) ***\n", EXC_DF,
            exc_mnemonic(EXC_DF), exc_name(EXC_DF));
    console_set_color(CONSOLE_NORMAL);
    kprintf("  an exception happened while delivering another one; error code 0x%x\n", error_code);
    kprintf("  interrupted task: EIP=%08x CS=%04x EFLAGS=%08x ESP=%08x\n", t->eip, t->cs, t->eflags,
            t->esp);
    kprintf("  EAX=%08x EBX=%08x ECX=%08x EDX=%08x ESI=%08x EDI=%08x EBP=%08x\n", t->eax, t->ebx,
            t->ecx, t->edx, t->esi, t->edi, t->ebp);
    kprintf("  CR0=%08x CR2=%08x CR3=%08x CR4=%08x\n", read_cr0(), read_cr2(), read_cr3(),
            read_cr4());
    if (kernel_stop_exits_qemu)
        kprintf("not ok - double fault\nBail out! double fault\n");
    kernel_stop(true);
}

static bool take_expected(struct isr_frame *f, uint32_t cr2)
{
    if (!expectation.armed || expectation.vector != f->vector)
        return false;
    expectation.record = (struct fault_record){
        .vector = f->vector, .error_code = f->error_code, .eip = f->eip, .cr2 = cr2};
    expectation.caught = true;
    expectation.armed = false;
    if (expectation.resume_eip)
        f->eip = (uint32_t)expectation.resume_eip;
    return true;
}

/* The lines console/input.c unmasks; any other one is masked and should never come. After the
 * end of interrupt the processes see what the input changed (a line to read, Ctrl-C). */
static void handle_irq(const struct isr_frame *f)
{
    unsigned irq = f->vector - IRQ_FIRST_VECTOR;
    if (pic_is_spurious(irq))
        return;
    switch (irq) {
    case PIC_IRQ_KEYBOARD:
        console_input_keyboard_interrupt();
        break;
    case PIC_IRQ_COM1:
        console_input_serial_interrupt();
        break;
    default:
        irq_count++;
        kprintf("pagoda: unexpected IRQ %u (vector 0x%x) on a masked line\n", irq, f->vector);
        pic_end_of_interrupt(irq);
        return;
    }
    pic_end_of_interrupt(irq);
    foreground_input();
}

/* From ring 3: the process's own business. Exceptions end it (or are demand paging), the tick
 * may switch to another process, system calls are served; a killed process ends on its way out. */
static void dispatch_user(struct isr_frame *frame, uint32_t cr2)
{
    struct task *t = sched_current();
    if (!t)
        panic("trap: vector %u from ring 3 with no process on the CPU", frame->vector);
    t->frame = frame;
    if (frame->vector == VECTOR_SYSCALL)
        syscall_dispatch(frame);
    else if (frame->vector == VECTOR_TIMER)
        sched_tick(true);
    else if (frame->vector < EXC_COUNT)
        proc_user_exception(frame, cr2);
    else if (frame->vector >= IRQ_FIRST_VECTOR && frame->vector <= IRQ_LAST_VECTOR)
        handle_irq(frame);
    proc_return_to_user();
}

void isr_dispatch(struct isr_frame *frame)
{
    uint32_t cr2 = frame->vector == EXC_PF ? read_cr2() : 0;
    if (frame->vector == VECTOR_SPURIOUS)
        return; /* the local APIC wants no EOI for it */
    if (isr_frame_from_user(frame)) {
        dispatch_user(frame, cr2);
        return;
    }
    if (frame->vector == VECTOR_TIMER) {
        sched_tick(false); /* the idle loop's halt, the only time the kernel takes interrupts */
        return;
    }
    if (frame->vector >= IRQ_FIRST_VECTOR && frame->vector <= IRQ_LAST_VECTOR) {
        handle_irq(frame);
        return;
    }
    if (take_expected(frame, cr2))
        return;
    if (handler_depth++ > 0) {
        /* The report itself faulted: the consoles may be the cause, so serial only, once. */
        serial_write_string("\n*** nested CPU exception while reporting one: halting ***\n");
        kernel_stop(true);
    }
    report_exception(frame, cr2);
    if (kernel_stop_exits_qemu)
        kprintf("not ok - unexpected CPU exception %u (%s)\nBail out! unexpected exception\n",
                frame->vector, exc_mnemonic(frame->vector));
    kernel_stop(true);
}
