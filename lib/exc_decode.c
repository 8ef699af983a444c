#include "exc_decode.h"

#include "fmt.h"

static const char *const exc_names[EXC_COUNT][2] = {
    {"#DE", "Divide Error"},
    {"#DB", "Debug"},
    {"NMI", "Non-Maskable Interrupt"},
    {"#BP", "Breakpoint"},
    {"#OF", "Overflow"},
    {"#BR", "BOUND Range Exceeded"},
    {"#UD", "Invalid Opcode"},
    {"#NM", "Device Not Available"},
    {"#DF", "Double Fault"},
    {"#CSO", "Coprocessor Segment Overrun"},
    {"#TS", "Invalid TSS"},
    {"#NP", "Segment Not Present"},
    {"#SS", "Stack-Segment Fault"},
    {"#GP", "General Protection"},
    {"#PF", "Page Fault"},
    {"#15", "Reserved"},
    {"#MF", "x87 Floating-Point Error"},
    {"#AC", "Alignment Check"},
    {"#MC", "Machine Check"},
    {"#XM", "SIMD Floating-Point Exception"},
    {"#VE", "Virtualization Exception"},
    {"#CP", "Control Protection"},
    {"#22", "Reserved"},
    {"#23", "Reserved"},
    {"#24", "Reserved"},
    {"#25", "Reserved"},
    {"#26", "Reserved"},
    {"#27", "Reserved"},
    {"#HV", "Hypervisor Injection"},
    {"#VC", "VMM Communication"},
    {"#SX", "Security Exception"},
    {"#31", "Reserved"},
};

const char *exc_mnemonic(uint32_t vector)
{
    return vector < EXC_COUNT ? exc_names[vector][0] : "INT";
}

const char *exc_name(uint32_t vector)
{
    return vector < EXC_COUNT ? exc_names[vector][1] : "External Interrupt";
}

bool exc_has_error_code(uint32_t vector)
{
    switch (vector) {
    case EXC_DF:
    case EXC_TS:
    case EXC_NP:
    case EXC_SS:
    case EXC_GP:
    case EXC_PF:
    case EXC_AC:
    case EXC_CP:
    case 29: /* #VC */
    case 30: /* #SX */
        return true;
    default:
        return false;
    }
}

bool exc_error_is_selector(uint32_t vector)
{
    return vector == EXC_TS || vector == EXC_NP || vector == EXC_SS || vector == EXC_GP;
}

static const char *decode_selector(uint32_t code, char *buf, size_t size)
{
    uint32_t index = (code & 0xFFFFu) >> SEL_ERR_INDEX_SHIFT;
    const char *table = (code & SEL_ERR_IDT) ? "IDT" : (code & SEL_ERR_TI) ? "LDT" : "GDT";
    if ((code & 0xFFFFu) == 0) {
        pg_snprintf(buf, size, "no selector (null or not segment related)");
        return buf;
    }
    if (code & SEL_ERR_IDT)
        pg_snprintf(buf, size, "ext=%u idt=1 ti=%u index=%u -> IDT vector 0x%x (%u)%s",
                    (code & SEL_ERR_EXT) ? 1u : 0u, (code & SEL_ERR_TI) ? 1u : 0u, index, index,
                    index, (code & SEL_ERR_EXT) ? " (external event)" : "");
    else
        pg_snprintf(buf, size, "ext=%u idt=0 ti=%u index=%u -> %s selector 0x%x%s",
                    (code & SEL_ERR_EXT) ? 1u : 0u, (code & SEL_ERR_TI) ? 1u : 0u, index, table,
                    code & 0xFFF8u, (code & SEL_ERR_EXT) ? " (external event)" : "");
    return buf;
}

static const char *decode_page_fault(uint32_t code, char *buf, size_t size)
{
    pg_snprintf(
        buf, size, "%s, %s, %s mode%s%s%s%s",
        (code & PF_ERR_PRESENT) ? "protection violation (page present)" : "page not present",
        (code & PF_ERR_WRITE) ? "write" : "read", (code & PF_ERR_USER) ? "user" : "supervisor",
        (code & PF_ERR_RESERVED) ? ", reserved bit set in a paging entry" : "",
        (code & PF_ERR_FETCH) ? ", instruction fetch" : "",
        (code & PF_ERR_PK) ? ", protection key" : "", (code & PF_ERR_SS) ? ", shadow stack" : "");
    return buf;
}

const char *exc_decode_error(uint32_t vector, uint32_t error_code, char *buf, size_t size)
{
    if (size == 0)
        return buf;
    if (vector == EXC_PF)
        return decode_page_fault(error_code, buf, size);
    if (exc_error_is_selector(vector))
        return decode_selector(error_code, buf, size);
    if (vector == EXC_DF)
        pg_snprintf(buf, size, "always 0 for #DF%s", error_code ? " (but it is not!)" : "");
    else if (exc_has_error_code(vector))
        pg_snprintf(buf, size, "0x%x", error_code);
    else
        pg_snprintf(buf, size, "none pushed for this vector");
    return buf;
}
