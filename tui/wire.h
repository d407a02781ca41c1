/* wire: what the client's connection really did, system call by system
 * call: a ring of the last WIRE_RECORDS reads and writes (direction, time
 * since connect, byte count, the bytes), and the rendering of a record as
 * one row of text for the wire view (F2, /wire) and for --plain --wire.
 *
 * It exists to teach that TCP is a byte stream: two messages arriving in
 * one read, or one message split over two reads, must be plain to see. So
 * line boundaries are marked, and every byte that would not show itself
 * (controls, invalid UTF-8) is shown as an escape.
 *
 * Memory is bounded and allocated only when recording starts (wire_open):
 * WIRE_RECORDS records of a fixed size, each keeping the first WIRE_KEEP
 * bytes of its call and the full count (WIRE_MEM bytes in all, about 270
 * KiB). No curses, no sockets, no clock: the caller passes the time. */
#ifndef SOCKCHAT_TUI_WIRE_H
#define SOCKCHAT_TUI_WIRE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum {
    WIRE_RECORDS = 1000, /* system calls kept; the oldest is dropped */
    WIRE_KEEP = 256,     /* bytes kept per call (a projector row shows fewer) */
    /* Room for one formatted row: every kept byte may become an escape of
     * up to 9 bytes ("⟨ESC⟩"), plus the prefix. */
    WIRE_ROW_MAX = 9 * WIRE_KEEP + 128,
};

enum wire_kind {
    WIRE_READ,    /* read(): bytes from the server; 0 bytes is the end of the stream */
    WIRE_WRITE,   /* send(): bytes to the server, as many as the kernel took */
    WIRE_CONNECT, /* the connection was made: times count from here */
};

struct wire_rec {
    int64_t ms;     /* since the connection was made */
    uint32_t count; /* bytes the call moved, all of them */
    uint16_t kept;  /* of which the first `kept` are in bytes */
    uint8_t kind;   /* enum wire_kind */
    char bytes[WIRE_KEEP];
};

struct wire {
    struct wire_rec *ring; /* WIRE_RECORDS of them; NULL until wire_open() */
    size_t first;          /* ring index of the oldest record */
    size_t count;
    uint64_t total; /* records ever added: the next one's number */
};

enum { WIRE_MEM = WIRE_RECORDS * sizeof(struct wire_rec) };

/* Allocates the ring (once; again is a no-op). Returns -1 when out of
 * memory, the wire left empty. */
int wire_open(struct wire *w);
void wire_free(struct wire *w);

/* Records one call. Bytes past WIRE_KEEP are counted, not kept. */
void wire_add(struct wire *w, enum wire_kind kind, int64_t ms, const char *buf, size_t len);

/* Records kept, and the one numbered seq (counting every record ever
 * added from 0), or NULL when it was dropped or is not there yet. Record
 * w->total - 1 is the newest. */
size_t wire_count(const struct wire *w);
const struct wire_rec *wire_get(const struct wire *w, uint64_t seq);

/* Bytes of memory the wire holds (WIRE_MEM once open, 0 before). */
size_t wire_mem(const struct wire *w);

/* Renders bytes for the screen into out (NUL-terminated; returns its
 * length): LF as "\n" followed by a boundary mark ("│", ASCII "|"), CR as
 * "\r", TAB as "\t", ESC as "⟨ESC⟩", NUL as "⟨NUL⟩", a backslash as "\\",
 * other control bytes and bytes of invalid UTF-8 as "\xHH"; valid text
 * as it is (in ASCII mode, non-ASCII as "\xHH" too). At most cols
 * columns: what does not fit, or cut (bytes the record did not keep), ends
 * in "…" ("..." in ASCII), never splitting a character or an escape.
 * cols SIZE_MAX: no limit. */
size_t wire_render(const char *bytes, size_t len, bool cut, size_t cols, bool ascii, char *out,
                   size_t cap);

/* One row for the record: "← 12.345s read     37 B  hello\n│", "→"
 * for a write ("<-", "->" in ASCII), the same rendering of its bytes, at
 * most cols columns. *prefix_len (if not NULL) receives the bytes before
 * the rendered bytes, for the view to style. */
size_t wire_format(const struct wire_rec *r, size_t cols, bool ascii, char *out, size_t cap,
                   size_t *prefix_len);

#endif
