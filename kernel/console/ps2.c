#include "ps2.h"

#include "../arch/x86.h"
#include "fmt.h"

#define PS2_DATA    0x60u
#define PS2_STATUS  0x64u /* read */
#define PS2_COMMAND 0x64u /* write */

#define STATUS_OUTPUT_FULL 0x01u /* a byte waits in 0x60 */
#define STATUS_INPUT_FULL  0x02u /* the controller has not taken the last byte written yet */
#define STATUS_FROM_PORT2  0x20u /* the waiting byte came from the second port (a mouse) */
#define STATUS_NOTHING     0xFFu /* what a port no device decodes reads as */

#define CMD_READ_CONFIG   0x20u
#define CMD_WRITE_CONFIG  0x60u
#define CMD_DISABLE_PORT2 0xA7u
#define CMD_SELF_TEST     0xAAu
#define CMD_TEST_PORT1    0xABu
#define CMD_DISABLE_PORT1 0xADu
#define CMD_ENABLE_PORT1  0xAEu

#define CONFIG_PORT1_IRQ      0x01u
#define CONFIG_PORT2_IRQ      0x02u
#define CONFIG_PORT1_NO_CLOCK 0x10u
#define CONFIG_TRANSLATE      0x40u /* the controller turns set 2 into set 1 */

#define SELF_TEST_PASSED 0x55u
#define PORT_TEST_PASSED 0x00u
#define KBD_RESET        0xFFu
#define KBD_ENABLE       0xF4u
#define KBD_ACK          0xFAu
#define KBD_RESET_PASSED 0xAAu
#define FLUSH_MAX_BYTES  32u

/* Deadlines: the controller answers within microseconds; a keyboard's reset (its self-test)
 * may take half a second on real hardware. */
#define CONTROLLER_MS     20u
#define SELF_TEST_MS      200u
#define KEYBOARD_RESET_MS 1000u
/* Without a TSC rate, a deadline is a number of status reads (each about a microsecond on the
 * ISA bus). */
#define POLLS_PER_MS 1000u

struct deadline {
    uint64_t tsc_hz, end;
    uint32_t polls_left;
};

static struct deadline deadline_in(uint64_t tsc_hz, uint32_t ms)
{
    return (struct deadline){
        .tsc_hz = tsc_hz, .end = rdtsc() + tsc_hz * ms / 1000u, .polls_left = ms * POLLS_PER_MS};
}

static bool deadline_passed(struct deadline *d)
{
    if (d->tsc_hz)
        return rdtsc() >= d->end;
    return d->polls_left-- == 0;
}

static bool wait_status(uint64_t tsc_hz, uint32_t ms, uint8_t mask, bool set)
{
    struct deadline d = deadline_in(tsc_hz, ms);
    for (;;) {
        uint8_t status = inb(PS2_STATUS);
        if (((status & mask) != 0) == set)
            return true;
        if (deadline_passed(&d))
            return false;
        __asm__ volatile("pause");
    }
}

static bool write_port(uint64_t tsc_hz, uint16_t port, uint8_t value)
{
    if (!wait_status(tsc_hz, CONTROLLER_MS, STATUS_INPUT_FULL, false))
        return false;
    outb(port, value);
    return true;
}

static int read_data(uint64_t tsc_hz, uint32_t ms)
{
    if (!wait_status(tsc_hz, ms, STATUS_OUTPUT_FULL, true))
        return -1;
    return inb(PS2_DATA);
}

static void flush_output(void)
{
    for (unsigned i = 0; i < FLUSH_MAX_BYTES && (inb(PS2_STATUS) & STATUS_OUTPUT_FULL); i++)
        (void)inb(PS2_DATA);
}

static void fail(struct ps2_keyboard *out, const char *fmt, unsigned value)
{
    pg_snprintf(out->why_not, sizeof(out->why_not), fmt, value);
}

static bool write_config(uint64_t tsc_hz, uint8_t config)
{
    return write_port(tsc_hz, PS2_COMMAND, CMD_WRITE_CONFIG) &&
           write_port(tsc_hz, PS2_DATA, config);
}

/* The controller, with both ports off and no interrupts; returns its configuration byte. */
static int start_controller(uint64_t tsc_hz, struct ps2_keyboard *out)
{
    if (inb(PS2_STATUS) == STATUS_NOTHING) {
        fail(out, "no i8042 controller (its status port reads 0x%02x)", STATUS_NOTHING);
        return -1;
    }
    if (!write_port(tsc_hz, PS2_COMMAND, CMD_DISABLE_PORT1) ||
        !write_port(tsc_hz, PS2_COMMAND, CMD_DISABLE_PORT2)) {
        fail(out, "no i8042 controller (it takes no command within %u ms)", CONTROLLER_MS);
        return -1;
    }
    flush_output();
    int config = -1;
    if (write_port(tsc_hz, PS2_COMMAND, CMD_READ_CONFIG))
        config = read_data(tsc_hz, CONTROLLER_MS);
    if (config < 0) {
        fail(out, "no i8042 controller (no configuration byte within %u ms)", CONTROLLER_MS);
        return -1;
    }
    uint8_t quiet = (uint8_t)(config & ~(CONFIG_PORT1_IRQ | CONFIG_PORT2_IRQ));
    int answer = -1;
    if (write_config(tsc_hz, quiet) && write_port(tsc_hz, PS2_COMMAND, CMD_SELF_TEST))
        answer = read_data(tsc_hz, SELF_TEST_MS);
    if (answer != SELF_TEST_PASSED) {
        fail(out, "the i8042 failed its self-test (answer 0x%02x)", (unsigned)answer & 0xFFu);
        return -1;
    }
    out->controller = true;
    /* Some controllers reset their configuration in the self-test. */
    if (!write_config(tsc_hz, quiet)) {
        fail(out, "the i8042 takes no configuration within %u ms after its self-test",
             CONTROLLER_MS);
        return -1;
    }
    return quiet;
}

/* Resets the keyboard and turns scanning on: ACK then "passed" for the reset, ACK for enable. */
static bool start_keyboard(uint64_t tsc_hz, struct ps2_keyboard *out)
{
    int answer = -1;
    if (write_port(tsc_hz, PS2_COMMAND, CMD_TEST_PORT1))
        answer = read_data(tsc_hz, CONTROLLER_MS);
    if (answer != PORT_TEST_PASSED) {
        fail(out, "the i8042's keyboard port failed its test (answer 0x%02x)",
             (unsigned)answer & 0xFFu);
        return false;
    }
    if (!write_port(tsc_hz, PS2_COMMAND, CMD_ENABLE_PORT1) ||
        !write_port(tsc_hz, PS2_DATA, KBD_RESET)) {
        fail(out, "the i8042 takes no byte for the keyboard within %u ms", CONTROLLER_MS);
        return false;
    }
    bool acked = false, passed = false;
    struct deadline d = deadline_in(tsc_hz, KEYBOARD_RESET_MS);
    while (!(acked && passed) && !deadline_passed(&d)) {
        int byte = read_data(tsc_hz, CONTROLLER_MS);
        acked |= byte == KBD_ACK;
        passed |= byte == KBD_RESET_PASSED;
    }
    if (!acked || !passed) {
        fail(out, "no keyboard answered its reset within %u ms", KEYBOARD_RESET_MS);
        return false;
    }
    answer = write_port(tsc_hz, PS2_DATA, KBD_ENABLE) ? read_data(tsc_hz, CONTROLLER_MS) : -1;
    if (answer != KBD_ACK) {
        fail(out, "the keyboard did not acknowledge \"enable scanning\" (answer 0x%02x)",
             (unsigned)answer & 0xFFu);
        return false;
    }
    return true;
}

void ps2_keyboard_start(uint64_t tsc_hz, struct ps2_keyboard *out)
{
    *out = (struct ps2_keyboard){.set = SCANCODE_SET1};
    int config = start_controller(tsc_hz, out);
    if (config < 0 || !start_keyboard(tsc_hz, out))
        return;
    uint8_t on = (uint8_t)((config | CONFIG_PORT1_IRQ) & ~CONFIG_PORT1_NO_CLOCK);
    if (!write_config(tsc_hz, on)) {
        fail(out, "the i8042 takes no configuration to turn IRQ 1 on within %u ms", CONTROLLER_MS);
        return;
    }
    /* The firmware decides the translation; it stays as it was, and the decoder follows it. */
    out->set = (config & CONFIG_TRANSLATE) ? SCANCODE_SET1 : SCANCODE_SET2;
    out->keyboard = true;
    flush_output();
}

int ps2_read_byte(void)
{
    for (;;) {
        uint8_t status = inb(PS2_STATUS);
        if (!(status & STATUS_OUTPUT_FULL) || status == STATUS_NOTHING)
            return -1;
        uint8_t byte = inb(PS2_DATA);
        if (!(status & STATUS_FROM_PORT2))
            return byte;
    }
}
