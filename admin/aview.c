/* aview: the dashboard's curses screen (see aview.h). The only file of
 * sockchat-admin that includes <curses.h>; the models it draws know
 * nothing about it. */
#undef _XOPEN_SOURCE /* ncursesw.pc may set 600 */
#define _XOPEN_SOURCE 700
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#define NCURSES_WIDECHAR 1
#include "aview.h"

#include <curses.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <term.h>
#include <unistd.h>
#include <wchar.h>

#include "text.h"

/* Colour pairs, one per tone of the log, and the roster's. */
enum {
    PAIR_CHAT = 1,
    PAIR_JOIN,
    PAIR_LEAVE,
    PAIR_WARN,
    PAIR_ERROR,
    PAIR_OPER,
    PAIR_GONE,
};

static bool active;

void aview_close(void)
{
    if (!active)
        return;
    active = false;
    endwin();
}

static void start_colours(void)
{
    start_color();
    use_default_colors();
    init_pair(PAIR_CHAT, COLOR_CYAN, -1);
    init_pair(PAIR_JOIN, COLOR_GREEN, -1);
    init_pair(PAIR_LEAVE, COLOR_YELLOW, -1);
    init_pair(PAIR_WARN, COLOR_RED, -1);
    init_pair(PAIR_ERROR, COLOR_WHITE, COLOR_RED);
    init_pair(PAIR_OPER, COLOR_MAGENTA, -1);
    init_pair(PAIR_GONE, COLOR_WHITE, COLOR_RED);
}

int aview_open(struct aview *v, bool color, char *err, size_t errlen)
{
    memset(v, 0, sizeof(*v));
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        snprintf(err, errlen, "terminal: not a tty (use --plain)");
        return -1;
    }
    /* newterm rather than initscr: initscr exits on a bad TERM. */
    SCREEN *scr = newterm(NULL, stdout, stdin);
    if (!scr) {
        snprintf(err, errlen, "terminal: cannot use TERM=%s (try --plain)",
                 getenv("TERM") ? getenv("TERM") : "");
        return -1;
    }
    char *cup = tigetstr("cup");
    if (cup == NULL || cup == (char *)-1) {
        endwin();
        delscreen(scr);
        snprintf(err, errlen, "terminal: TERM=%s cannot place the cursor (try --plain)",
                 getenv("TERM") ? getenv("TERM") : "");
        return -1;
    }
    active = true;
    raw();
    noecho();
    nonl();
    keypad(stdscr, TRUE);
    nodelay(stdscr, TRUE);
    set_escdelay(25); /* Esc and Alt keys over ssh without a visible lag */
    v->color = color && has_colors();
    if (v->color)
        start_colours();
    getmaxyx(stdscr, v->rows, v->cols);
    v->full = true;
    return 0;
}

void aview_resize(struct aview *v)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
        resize_term(ws.ws_row, ws.ws_col);
    getmaxyx(stdscr, v->rows, v->cols);
    v->full = true;
}

void aview_suspend(struct aview *v)
{
    endwin();
    raise(SIGTSTP); /* raw() made Ctrl-Z a key, so the stop is ours to ask for */
    aview_resize(v);
}

void aview_invalidate(struct aview *v)
{
    v->full = true;
}

/* ---- keys -------------------------------------------------------------- */

static const struct {
    int code;
    enum akey_type type;
} code_keys[] = {
    {KEY_LEFT, AK_LEFT},           {KEY_RIGHT, AK_RIGHT}, {KEY_UP, AK_UP},
    {KEY_DOWN, AK_DOWN},           {KEY_HOME, AK_HOME},   {KEY_END, AK_END},
    {KEY_PPAGE, AK_PGUP},          {KEY_NPAGE, AK_PGDN},  {KEY_DC, AK_DELETE},
    {KEY_BACKSPACE, AK_BACKSPACE}, {KEY_ENTER, AK_ENTER},
};

static void code_key(struct aview *v, int code, struct akey *k)
{
    k->type = AK_NONE;
    for (size_t i = 0; i < sizeof(code_keys) / sizeof(*code_keys); i++) {
        if (code_keys[i].code == code) {
            k->type = code_keys[i].type;
            return;
        }
    }
    if (code >= KEY_F(1) && code <= KEY_F(12)) {
        k->type = AK_F;
        k->ch = (uint32_t)(code - KEY_F0);
    } else if (code == KEY_RESIZE) {
        getmaxyx(stdscr, v->rows, v->cols);
        v->full = true;
        k->type = AK_RESIZE;
    }
}

bool aview_key(struct aview *v, struct akey *k)
{
    wint_t ch;
    int rc = wget_wch(stdscr, &ch);
    k->ch = 0;
    k->type = AK_NONE;
    if (rc == ERR)
        return false;
    if (rc == KEY_CODE_YES) {
        code_key(v, (int)ch, k);
        return true;
    }
    switch (ch) {
    case 27: {
        /* ESC and a character already waiting is an Alt key; a sequence
         * curses does not know is swallowed rather than typed. */
        wint_t next;
        int r2 = wget_wch(stdscr, &next);
        if (r2 == OK && (next == '[' || next == 'O')) {
            for (int i = 0; i < 32; i++) {
                wint_t c;
                if (wget_wch(stdscr, &c) != OK || (c >= 0x40 && c <= 0x7E))
                    break;
            }
        } else if (r2 == OK && next >= 0x20 && next != 0x7F) {
            k->type = AK_ALT;
            k->ch = (uint32_t)next;
        } else {
            if (r2 == KEY_CODE_YES)
                ungetch((int)next);
            k->type = AK_ESC;
        }
        return true;
    }
    case '\r':
    case '\n':
        k->type = AK_ENTER;
        return true;
    case '\t':
        k->type = AK_TAB;
        return true;
    case 127:
    case 8:
        k->type = AK_BACKSPACE;
        return true;
    default:
        break;
    }
    if (ch < 0x20) {
        k->type = AK_CTRL;
        k->ch = (uint32_t)('a' + ch - 1);
    } else {
        k->type = AK_CHAR;
        k->ch = (uint32_t)ch;
    }
    return true;
}

/* ---- drawing ----------------------------------------------------------- */

/* Draws s[0..len) at the cursor with attr, never past column `limit`; what
 * the terminal cannot show becomes U+FFFD, or '?' in ASCII mode. */
static void put_text(const char *s, size_t len, attr_t attr, short pair, int limit)
{
    wchar_t wbuf[256];
    size_t n = 0;
    int y, x;
    getyx(stdscr, y, x);
    (void)y;
    attr_set(attr, pair, NULL);
    for (size_t i = 0; i < len;) {
        uint32_t cp;
        i += text_decode(s + i, len - i, &cp);
        if (text_ascii() && cp >= 0x80)
            cp = '?';
        else if (cp < 0x20 || cp == 0x7F || (cp >= 0x80 && wcwidth((wchar_t)cp) < 0))
            cp = text_ascii() ? '?' : TEXT_REPLACEMENT;
        int w = text_cp_width(cp);
        if (x + w > limit)
            break;
        x += w;
        wbuf[n++] = (wchar_t)cp;
        if (n == sizeof(wbuf) / sizeof(*wbuf)) {
            addnwstr(wbuf, (int)n);
            n = 0;
        }
    }
    if (n)
        addnwstr(wbuf, (int)n);
    attr_set(A_NORMAL, 0, NULL);
}

/* A whole row in attr: the text, then blanks to the right edge. */
static void put_row(const struct aview *v, int y, const char *s, attr_t attr, short pair)
{
    move(y, 0);
    attr_set(attr, pair, NULL);
    for (int x = 0; x < v->cols; x++)
        addch(' ');
    move(y, 0);
    put_text(s, strlen(s), attr, pair, v->cols);
}

static short tone_pair(const struct aview *v, enum evlog_tone t, attr_t *attr)
{
    *attr = A_NORMAL;
    short p = 0;
    switch (t) {
    case TONE_CHAT:
        p = PAIR_CHAT;
        break;
    case TONE_JOIN:
        p = PAIR_JOIN;
        break;
    case TONE_LEAVE:
        p = PAIR_LEAVE;
        break;
    case TONE_WARN:
        p = PAIR_WARN;
        *attr = A_BOLD;
        break;
    case TONE_ERROR:
        p = PAIR_ERROR;
        *attr = A_BOLD;
        break;
    case TONE_OPER:
        p = PAIR_OPER;
        *attr = A_BOLD;
        break;
    case TONE_NOTE:
        /* Blue is unreadable on a projector: bold, the terminal's colour. */
        *attr = A_BOLD;
        break;
    case TONE_PLAIN:
    default:
        break;
    }
    return v->color ? p : 0;
}

/* The roster pane takes a row per connection, between 3 rows and half the
 * screen, so the log keeps room whatever the class size. */
size_t aview_roster_rows(const struct aview *v, const struct dash *d)
{
    size_t max = v->rows > 6 ? (size_t)(v->rows - 4) / 2 : 1;
    size_t n = d->roster.n < 3 ? 3 : d->roster.n;
    return n < max ? n : max;
}

size_t aview_log_rows(const struct aview *v, const struct dash *d)
{
    long rest = (long)v->rows - 4 - (long)aview_roster_rows(v, d);
    return rest > 1 ? (size_t)rest : 1;
}

static void draw_roster(struct aview *v, struct dash *d, int height)
{
    struct roster_layout lay;
    roster_layout(&lay, (size_t)v->cols);
    char line[1024];
    roster_format_header(&lay, d->roster.sort, line, sizeof(line));
    put_row(v, 0, line, A_BOLD | A_UNDERLINE, 0);
    roster_follow(&d->roster, (size_t)height);
    long sel = roster_selected_index(&d->roster);
    for (int i = 0; i < height; i++) {
        size_t r = d->roster.top + (size_t)i;
        move(1 + i, 0);
        clrtoeol();
        if (r >= d->roster.n) {
            if (i == 0 && d->roster.n == 0) {
                const char *none =
                    d->at.state == ATTACH_ATTACHED ? "(nobody connected)" : "(no server)";
                put_text(none, strlen(none), A_DIM, 0, v->cols);
            }
            continue;
        }
        roster_format_row(&lay, &d->roster.rows[r], line, sizeof(line));
        put_row(v, 1 + i, line, (long)r == sel ? A_REVERSE : A_NORMAL, 0);
    }
}

static void draw_rule(struct aview *v, struct dash *d, int y)
{
    char line[512];
    const struct roster *r = &d->roster;
    if (r->total > r->n)
        snprintf(line, sizeof(line),
                 "-- %zu of %u shown -- events -- F1 help  F2 sort  "
                 "F8 kick  F9 mute  q detach ",
                 r->n, r->total);
    else
        snprintf(line, sizeof(line), "-- events -- F1 help  F2 sort  F8 kick  F9 mute  q detach ");
    size_t len = strlen(line);
    while (len + 1 < sizeof(line) && (int)len < v->cols)
        line[len++] = '-';
    line[len] = '\0';
    put_row(v, y, line, A_DIM, 0);
}

/* One log entry's rows from row `from` on, at screen row y, wrapped with
 * the time and tag as a hanging indent. */
enum { LOG_MAX_ROWS = 64 };

static size_t entry_rows(const struct evrec *e, char *line, size_t cap, size_t width,
                         size_t *starts, size_t *len, struct evspans *sp)
{
    *len = evlog_format(e, line, cap, sp);
    size_t indent = sp->tag_end < width / 2 ? sp->tag_end : 0;
    size_t rows = text_wrap(line, *len, width, indent, starts, LOG_MAX_ROWS);
    return rows < LOG_MAX_ROWS ? rows : LOG_MAX_ROWS;
}

static void draw_entry(const struct aview *v, const struct evrec *e, int y0, size_t from, int ymax)
{
    static char line[ADMIN_LINE_MAX + 256];
    size_t starts[LOG_MAX_ROWS], len;
    struct evspans sp;
    size_t rows = entry_rows(e, line, sizeof(line), (size_t)v->cols, starts, &len, &sp);
    attr_t attr;
    short pair = tone_pair(v, evlog_tone(e->kind), &attr);
    /* Chat text stays plain to read; warnings and notes are coloured whole. */
    enum evlog_tone t = evlog_tone(e->kind);
    bool whole =
        t == TONE_WARN || t == TONE_ERROR || t == TONE_NOTE || t == TONE_JOIN || t == TONE_LEAVE;
    for (size_t r = from; r < rows && y0 + (int)(r - from) < ymax; r++) {
        size_t a = starts[r], b = r + 1 < rows ? starts[r + 1] : len;
        int y = y0 + (int)(r - from);
        move(y, r > 0 && sp.tag_end < (size_t)v->cols / 2 ? (int)sp.tag_end : 0);
        size_t cuts[3] = {sp.time_end, sp.tag_end, len};
        for (int k = 0; k < 3 && a < b; k++) {
            size_t end = cuts[k] < b ? cuts[k] : b;
            if (end <= a)
                continue;
            if (k == 0)
                put_text(line + a, end - a, A_DIM, 0, v->cols);
            else if (k == 1)
                put_text(line + a, end - a, attr, pair, v->cols);
            else
                put_text(line + a, end - a, whole ? attr : A_NORMAL, whole ? pair : 0, v->cols);
            a = end;
        }
    }
}

static void draw_log(struct aview *v, struct dash *d, int y0, int height)
{
    static char line[ADMIN_LINE_MAX + 256];
    size_t starts[LOG_MAX_ROWS], len;
    struct evspans sp;
    size_t n = evlog_count(&d->log);
    /* The newest entry shown is `scroll` entries above the newest; walk up
     * from it until the pane is full, then draw down from there. */
    size_t end = n > d->log.scroll ? n - d->log.scroll : 0;
    size_t first = end, used = 0, skip = 0;
    while (first > 0 && used < (size_t)height) {
        size_t rows = entry_rows(evlog_at(&d->log, first - 1), line, sizeof(line), (size_t)v->cols,
                                 starts, &len, &sp);
        first--;
        used += rows;
    }
    if (used > (size_t)height)
        skip = used - (size_t)height; /* the top entry shows its last rows only */
    int y = y0;
    for (size_t i = first; i < end && y < y0 + height; i++) {
        const struct evrec *e = evlog_at(&d->log, i);
        size_t rows = entry_rows(e, line, sizeof(line), (size_t)v->cols, starts, &len, &sp);
        size_t from = i == first ? skip : 0;
        draw_entry(v, e, y, from, y0 + height);
        y += (int)(rows - from);
    }
}

static void draw_bar(struct aview *v, struct dash *d, int y)
{
    struct bar b;
    dash_bar(d, &b);
    char text[600], line[604];
    bar_format_fit(&b, text, sizeof(text), (size_t)v->cols - 1);
    snprintf(line, sizeof(line), " %s", text);
    bool gone = d->at.state == ATTACH_GONE;
    put_row(v, y, line, gone ? A_BOLD | A_REVERSE : A_REVERSE, gone && v->color ? PAIR_GONE : 0);
}

static void draw_input(struct aview *v, struct dash *d, int y)
{
    move(y, 0);
    clrtoeol();
    if (d->ask[0]) {
        put_text(d->ask, strlen(d->ask), A_BOLD, 0, v->cols);
        return;
    }
    static const char prompt[] = "admin> ";
    size_t plen = sizeof(prompt) - 1;
    put_text(prompt, plen, A_BOLD, 0, v->cols);
    size_t width = (size_t)v->cols > plen + 1 ? (size_t)v->cols - plen - 1 : 1;
    size_t start, ccol;
    editline_view(&d->ed, width, &start, &ccol);
    size_t vis = text_fit(d->ed.buf + start, d->ed.len - start, width);
    put_text(d->ed.buf + start, vis, A_NORMAL, 0, v->cols);
    move(y, (int)(plen + ccol));
}

static void draw_too_small(const struct aview *v)
{
    char msg[64];
    snprintf(msg, sizeof(msg), "too small: need %dx%d", AVIEW_MIN_COLS, AVIEW_MIN_ROWS);
    mvaddnstr(0, 0, msg, v->cols);
}

/* A digest of everything drawn, so an idle second costs no repaint. */
static uint64_t draw_key(const struct aview *v, const struct dash *d, const char *bar)
{
    uint64_t h = 1469598103934665603ull;
    uint64_t parts[] = {(uint64_t)v->rows,    (uint64_t)v->cols, d->log.version,
                        d->roster.version,    d->ed.version,     d->ask_version,
                        (uint64_t)d->at.state};
    for (size_t i = 0; i < sizeof(parts) / sizeof(*parts); i++)
        h = (h ^ parts[i]) * 1099511628211ull;
    for (const char *p = bar; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ull;
    return h;
}

void aview_draw(struct aview *v, struct dash *d)
{
    struct bar b;
    dash_bar(d, &b);
    char bartext[600];
    bar_format(&b, bartext, sizeof(bartext));
    uint64_t key = draw_key(v, d, bartext);
    if (!v->full && key == v->drawn_key)
        return;
    v->drawn_key = key;
    erase();
    if (v->rows < AVIEW_MIN_ROWS || v->cols < AVIEW_MIN_COLS) {
        draw_too_small(v);
    } else {
        int rh = (int)aview_roster_rows(v, d);
        int lh = (int)aview_log_rows(v, d);
        draw_roster(v, d, rh);
        draw_rule(v, d, 1 + rh);
        draw_log(v, d, 2 + rh, lh);
        draw_bar(v, d, v->rows - 2);
        /* The input line last, so the cursor ends up in it. */
        draw_input(v, d, v->rows - 1);
    }
    if (v->full)
        clearok(curscr, TRUE);
    v->full = false;
    refresh();
}
