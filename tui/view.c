/* view: curses drawing and key decoding (see view.h). The only file that
 * includes <curses.h>; the models it draws know nothing about it. */
#undef _XOPEN_SOURCE /* ncursesw.pc may set 600 */
#define _XOPEN_SOURCE 700
#ifndef _XOPEN_SOURCE_EXTENDED
#define _XOPEN_SOURCE_EXTENDED 1
#endif
#define NCURSES_WIDECHAR 1
#include "view.h"

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

/* Our own key codes for sequences curses does not know. */
enum {
    KEYC_PASTE_BEGIN = KEY_MAX + 1,
    KEYC_PASTE_END,
};

/* Colour pairs. */
enum {
    PAIR_NICK = 1, /* 1..6: nick colours */
    NICK_COLOURS = 6,
    PAIR_ERR = 7,
    PAIR_JOIN,
    PAIR_LEAVE,
    PAIR_NOTICE,
    PAIR_LOCAL,
    PAIR_REPLY,
    PAIR_OK,
    PAIR_MENTION,
};

static bool active;
static bool mouse_on; /* --mouse: wheel reports asked for */
static int key_ctrl_home = -1, key_ctrl_end = -1;

void view_close(void)
{
    if (!active)
        return;
    active = false;
    /* Bracketed paste and mouse reporting off, then curses' own reset. */
    fputs("\033[?2004l", stdout);
    fflush(stdout);
    if (mouse_on)
        mousemask(0, NULL);
    mouse_on = false;
    endwin();
}

static int key_code_of(const char *capname)
{
    char *s = tigetstr(capname);
    if (s == NULL || s == (char *)-1)
        return -1;
    int code = key_defined(s);
    return code > 0 ? code : -1;
}

/* The keys curses is to decode beyond terminfo's: bracketed paste, and the
 * common sequences some entries lack. */
static void define_keys(void)
{
    define_key("\033[200~", KEYC_PASTE_BEGIN);
    define_key("\033[201~", KEYC_PASTE_END);
    /* What terminals send for these keys whatever TERM says: a terminfo
     * entry without them (vt100 has no PgUp, Home, End or Delete) would
     * leave them dead. Only where the entry has nothing else bound. */
    static const struct {
        const char *seq;
        int code;
    } common[] = {
        {"\033[5~", KEY_PPAGE}, {"\033[6~", KEY_NPAGE}, {"\033[3~", KEY_DC},
        {"\033[1~", KEY_HOME},  {"\033[4~", KEY_END},   {"\033[H", KEY_HOME},
        {"\033[F", KEY_END},    {"\033OH", KEY_HOME},   {"\033OF", KEY_END},
    };
    for (size_t i = 0; i < sizeof(common) / sizeof(*common); i++)
        if (key_defined(common[i].seq) == 0)
            define_key(common[i].seq, common[i].code);
    key_ctrl_home = key_code_of("kHOM5");
    key_ctrl_end = key_code_of("kEND5");
}

static void start_colours(void)
{
    start_color();
    use_default_colors();
    static const short nick[NICK_COLOURS] = {COLOR_RED,  COLOR_GREEN,   COLOR_YELLOW,
                                             COLOR_BLUE, COLOR_MAGENTA, COLOR_CYAN};
    for (int i = 0; i < NICK_COLOURS; i++)
        init_pair((short)(PAIR_NICK + i), nick[i], -1);
    init_pair(PAIR_ERR, COLOR_RED, -1);
    init_pair(PAIR_JOIN, COLOR_GREEN, -1);
    init_pair(PAIR_LEAVE, COLOR_YELLOW, -1);
    init_pair(PAIR_NOTICE, COLOR_MAGENTA, -1);
    init_pair(PAIR_LOCAL, COLOR_CYAN, -1);
    init_pair(PAIR_REPLY, COLOR_GREEN, -1);
    init_pair(PAIR_OK, COLOR_GREEN, -1);
    init_pair(PAIR_MENTION, COLOR_YELLOW, -1);
}

int view_open(struct view *v, bool color, bool mouse, char *err, size_t errlen)
{
    memset(v, 0, sizeof(*v));
    if (!isatty(STDIN_FILENO) || !isatty(STDOUT_FILENO)) {
        snprintf(err, errlen, "terminal: not a tty");
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
        /* A terminal that cannot place the cursor (TERM=dumb, an editor's
         * shell buffer) would get every row drawn on one line. */
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
    define_keys();
    /* Mouse reports only when asked (--mouse): while a program takes them,
     * the terminal no longer selects text on a drag, and copying a line of
     * the chat is what most people do with the mouse. ncurses asks for
     * none until mousemask() is called. */
    if (mouse) {
        mousemask(BUTTON4_PRESSED | BUTTON5_PRESSED, NULL);
        mouseinterval(0);
        mouse_on = true;
    }
    v->color = color && has_colors();
    if (v->color)
        start_colours();
    fputs("\033[?2004h", stdout); /* bracketed paste on */
    fflush(stdout);
    getmaxyx(stdscr, v->rows, v->cols);
    v->full = true;
    return 0;
}

void view_suspend(struct view *v)
{
    fputs("\033[?2004l", stdout);
    fflush(stdout);
    endwin();
    /* raw() made Ctrl-Z a key, so the stop is ours to ask for. */
    raise(SIGTSTP);
    /* Continued: curses takes the terminal back on the next refresh. */
    fputs("\033[?2004h", stdout);
    fflush(stdout);
    view_resize(v); /* the terminal may have changed size meanwhile */
}

void view_resize(struct view *v)
{
    struct winsize ws;
    if (ioctl(STDOUT_FILENO, TIOCGWINSZ, &ws) == 0 && ws.ws_row > 0 && ws.ws_col > 0)
        resize_term(ws.ws_row, ws.ws_col);
    getmaxyx(stdscr, v->rows, v->cols);
    v->full = true;
}

void view_invalidate(struct view *v)
{
    v->full = true;
}

/* Rows of the wire pane, its title included: half of what is above the
 * status bar (11 of 22 at 80x24, 4 at the smallest 10 rows). */
static int wire_pane_rows(const struct view *v)
{
    if (!v->wire_open || v->rows < VIEW_MIN_ROWS)
        return 0;
    return (v->rows - 2) / 2;
}

size_t view_log_rows(const struct view *v)
{
    int rows = v->rows - 2 - wire_pane_rows(v);
    return rows > 0 ? (size_t)rows : 1;
}

void view_show_wire(struct view *v, bool on)
{
    v->wire_open = on;
    v->full = true;
}

size_t view_wire_rows(const struct view *v)
{
    int rows = wire_pane_rows(v);
    return rows > 1 ? (size_t)(rows - 1) : 0;
}

size_t view_log_cols(const struct view *v)
{
    return v->cols > 0 ? (size_t)v->cols : 1;
}

/* get_wch(), except in a non-UTF-8 locale: there ncurses' multibyte decoding
 * stalls on the UTF-8 a terminal sends anyway, so read bytes and decode
 * UTF-8 here (the line keeps UTF-8; the view shows '?' for it). */
static int read_key(wint_t *ch)
{
    if (!text_ascii())
        return wget_wch(stdscr, ch);
    int c = wgetch(stdscr);
    if (c == ERR)
        return ERR;
    if (c >= KEY_MIN) {
        *ch = (wint_t)c;
        return KEY_CODE_YES;
    }
    if (c < 0x80) {
        *ch = (wint_t)c;
        return OK;
    }
    char buf[4] = {(char)c};
    size_t need = c >= 0xF0 ? 4 : c >= 0xE0 ? 3 : c >= 0xC0 ? 2 : 1;
    size_t n = 1;
    while (n < need) {
        int d = wgetch(stdscr);
        if (d == ERR || d < 0x80 || d > 0xBF) {
            if (d != ERR)
                ungetch(d);
            break;
        }
        buf[n++] = (char)d;
    }
    uint32_t cp;
    text_decode(buf, n, &cp);
    *ch = (wint_t)cp;
    return OK;
}

/* Curses' key codes and what they are to the client. */
static const struct {
    int code;
    enum tkey_type type;
} code_keys[] = {
    {KEY_LEFT, TK_LEFT},
    {KEY_RIGHT, TK_RIGHT},
    {KEY_UP, TK_UP},
    {KEY_DOWN, TK_DOWN},
    {KEY_HOME, TK_HOME},
    {KEY_END, TK_END},
    {KEY_PPAGE, TK_PGUP},
    {KEY_NPAGE, TK_PGDN},
    {KEY_DC, TK_DELETE},
    {KEY_BACKSPACE, TK_BACKSPACE},
    {KEY_ENTER, TK_ENTER},
    {KEYC_PASTE_BEGIN, TK_PASTE_BEGIN},
    {KEYC_PASTE_END, TK_PASTE_END},
    {KEY_F(1), TK_F1},
    {KEY_F(2), TK_F2},
};

/* A key curses decoded (KEY_CODE_YES). */
static void code_key(struct view *v, int code, struct tkey *k)
{
    k->type = TK_NONE;
    if (code == key_ctrl_home && code > 0) {
        k->type = TK_TOP;
        return;
    }
    if (code == key_ctrl_end && code > 0) {
        k->type = TK_BOTTOM;
        return;
    }
    for (size_t i = 0; i < sizeof(code_keys) / sizeof(*code_keys); i++) {
        if (code_keys[i].code == code) {
            k->type = code_keys[i].type;
            return;
        }
    }
    if (code == KEY_RESIZE) {
        getmaxyx(stdscr, v->rows, v->cols);
        v->full = true;
        k->type = TK_RESIZE;
    } else if (code == KEY_MOUSE) {
        MEVENT me;
        if (getmouse(&me) == OK) {
            if (me.bstate & BUTTON4_PRESSED)
                k->type = TK_WHEEL_UP;
            else if (me.bstate & BUTTON5_PRESSED)
                k->type = TK_WHEEL_DOWN;
        }
    }
}

/* ESC then a character already waiting is an Alt key. */
static void esc_key(struct tkey *k)
{
    wint_t next;
    int r2 = read_key(&next);
    if (r2 == OK && (next == '[' || next == 'O')) {
        /* A sequence curses does not know (focus events, odd keys):
         * swallow it whole rather than type its tail. */
        k->type = TK_NONE;
        for (int i = 0; i < 32; i++) {
            wint_t c;
            if (read_key(&c) != OK ||
                (c >= 0x40 && c <= 0x7E && !(next == '[' && i == 0 && c == '[')))
                break;
        }
        return;
    }
    if (r2 == OK && next >= 0x20 && next != 0x7F) {
        k->type = TK_ALT;
        k->ch = (uint32_t)next;
    } else {
        if (r2 == KEY_CODE_YES)
            ungetch((int)next);
        else if (r2 != ERR)
            unget_wch((wchar_t)next);
        k->type = TK_ESC;
    }
}

bool view_key(struct view *v, struct tkey *k)
{
    wint_t ch;
    int rc = read_key(&ch);
    k->ch = 0;
    if (rc == ERR)
        return false;
    if (rc == KEY_CODE_YES) {
        code_key(v, (int)ch, k);
        return true;
    }
    switch (ch) {
    case 27:
        esc_key(k);
        return true;
    case '\r':
    case '\n':
        k->type = TK_ENTER;
        return true;
    case '\t':
        k->type = TK_TAB;
        return true;
    case 127:
    case 8:
        k->type = TK_BACKSPACE;
        return true;
    default:
        break;
    }
    if (ch < 0x20) {
        k->type = TK_CTRL;
        k->ch = (uint32_t)('a' + ch - 1);
        return true;
    }
    k->type = TK_CHAR;
    k->ch = (uint32_t)ch;
    return true;
}

/* ---- drawing ---------------------------------------------------------- */

/* Draws s[0..len) at the cursor with attr, never past column `limit`. */
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
        else if (cp >= 0x80 && wcwidth((wchar_t)cp) < 0)
            cp = TEXT_REPLACEMENT;
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

struct style {
    attr_t attr;
    short pair;
};

static struct style style_of(const struct view *v, attr_t attr, short pair)
{
    struct style s = {attr, v->color ? pair : 0};
    return s;
}

/* The styles of an entry's tag, body and suffix. Without colour the
 * prefixes tell the kinds apart; bold marks own lines, errors, notices. */
static void entry_styles(const struct view *v, const struct entry *e, struct style *tag,
                         struct style *body, struct style *suffix)
{
    short nick = (short)(PAIR_NICK + (short)text_nick_colour(e->nick, NICK_COLOURS));
    *body = style_of(v, A_NORMAL, 0);
    *tag = style_of(v, A_NORMAL, 0);
    switch (e->kind) {
    case ENTRY_SELF:
        *tag = style_of(v, A_BOLD, nick);
        break;
    case ENTRY_CHAT:
        *tag = style_of(v, A_NORMAL, nick);
        break;
    case ENTRY_ACTION:
        *tag = style_of(v, e->delivery != DELIVERY_NONE ? A_BOLD : A_NORMAL, nick);
        break;
    case ENTRY_PRIV:
        *tag = style_of(v, A_BOLD, PAIR_NOTICE);
        break;
    case ENTRY_JOIN:
        *tag = *body = style_of(v, A_NORMAL, PAIR_JOIN);
        break;
    case ENTRY_LEAVE:
        *tag = *body = style_of(v, A_NORMAL, PAIR_LEAVE);
        break;
    case ENTRY_OUT:
        /* Command output is for reading: only its "|" marks it. */
        *tag = style_of(v, A_NORMAL, PAIR_LOCAL);
        break;
    case ENTRY_ERR:
        *tag = *body = style_of(v, A_BOLD, PAIR_ERR);
        break;
    case ENTRY_NOTICE:
        *tag = *body = style_of(v, A_BOLD, PAIR_NOTICE);
        break;
    case ENTRY_LOCAL:
        *tag = *body = style_of(v, A_NORMAL, PAIR_LOCAL);
        break;
    case ENTRY_REPLY:
        *tag = style_of(v, A_BOLD, PAIR_REPLY);
        break;
    case ENTRY_ROOM:
        *tag = *body = style_of(v, A_BOLD, PAIR_LOCAL);
        break;
    default:
        break;
    }
    /* A line naming us: reverse video on the tag reads without colour
     * too, and the text carries a mark (entry_format()). */
    if (e->mention) {
        *tag = style_of(v, A_BOLD | A_REVERSE, PAIR_MENTION);
        *body = style_of(v, A_BOLD, PAIR_MENTION);
    }
    if (e->delivery == DELIVERY_DONE)
        *suffix = style_of(v, A_NORMAL, PAIR_OK);
    else if (e->delivery == DELIVERY_FAILED)
        *suffix = style_of(v, A_BOLD, PAIR_ERR);
    else
        *suffix = style_of(v, A_DIM, 0);
}

enum { MAX_ROWS_PER_ENTRY = 4096 };

/* Draws rows [from, to) of entry e, whose first row is at screen row y0. */
static void draw_entry(const struct view *v, const struct entry *e, int y0, size_t from, size_t to)
{
    static char line[3 * 2 * 4096 + 256];
    static size_t starts[MAX_ROWS_PER_ENTRY];
    struct entry_spans sp;
    size_t len = entry_format(e, line, sizeof(line), &sp);
    size_t width = (size_t)v->cols;
    size_t rows = text_wrap(line, len, width, ENTRY_INDENT, starts, MAX_ROWS_PER_ENTRY);
    if (rows > MAX_ROWS_PER_ENTRY)
        rows = MAX_ROWS_PER_ENTRY;
    struct style tag, body, suffix;
    entry_styles(v, e, &tag, &body, &suffix);
    struct style timest = style_of(v, A_DIM, 0);

    for (size_t r = from; r < to && r < rows; r++) {
        size_t a = starts[r];
        size_t b = r + 1 < rows ? starts[r + 1] : len;
        int y = y0 + (int)r;
        move(y, 0);
        clrtoeol();
        if (r > 0)
            move(y, ENTRY_INDENT);
        /* Split the row at the span borders and draw each piece. */
        size_t cuts[5] = {sp.time_end, sp.tag_start, sp.tag_end, sp.body_end, len};
        const struct style *styles[5] = {&timest, &body, &tag, &body, &suffix};
        size_t pos = a;
        for (int k = 0; k < 5 && pos < b; k++) {
            size_t end = cuts[k] < b ? cuts[k] : b;
            if (end > pos) {
                put_text(line + pos, end - pos, styles[k]->attr, styles[k]->pair, v->cols);
                pos = end;
            }
        }
    }
}

static void draw_log(struct view *v, const struct screen *s)
{
    int height = (int)view_log_rows(v);
    size_t width = (size_t)v->cols;
    /* Walk from the newest entry up; `bottom` is the virtual row just
     * below the entry, counting the pane's rows from the top, shifted by
     * the scroll offset. */
    long bottom = (long)height + (long)s->lv->scroll;
    size_t n = chatlog_count(s->log);
    for (int y = 0; y < height; y++) {
        move(y, 0);
        clrtoeol();
    }
    for (size_t i = n; i > 0 && bottom > 0; i--) {
        struct entry *e = chatlog_at(s->log, i - 1);
        long rows = (long)chatlog_rows(s->log, e, width);
        long top = bottom - rows;
        if (top < height) {
            size_t from = top < 0 ? (size_t)(-top) : 0;
            long last = bottom > height ? height : bottom;
            size_t to = (size_t)(last - top);
            draw_entry(v, e, (int)top, from, to);
        }
        bottom = top;
    }
}

/* The wire pane's title: what it is, how many calls, the keys. */
static void draw_wire_title(const struct view *v, const struct screen *s, int y)
{
    bool ascii = text_ascii();
    const char *rule = ascii ? "-" : "\xe2\x94\x80";
    char title[256];
    unsigned long long total = (unsigned long long)s->wire->total;
    if (s->wire_focus)
        snprintf(title, sizeof(title),
                 "%s%s wire: %llu calls, %zu back %s PgUp/PgDn scroll, Ctrl-O back to the chat ",
                 rule, rule, total, s->wire_scroll, rule);
    else
        snprintf(title, sizeof(title), "%s%s wire: %llu calls %s F2 close, Ctrl-O scroll ", rule,
                 rule, total, rule);
    move(y, 0);
    clrtoeol();
    attr_t attr = s->wire_focus ? A_REVERSE : A_BOLD;
    put_text(title, strlen(title), attr, 0, v->cols);
    int x = (int)text_width(title, strlen(title));
    for (; x < v->cols; x++)
        put_text(rule, strlen(rule), attr, 0, v->cols);
}

/* The wire pane: one row per system call, the newest at the bottom of
 * what is shown (s->wire_scroll rows back from the newest). */
static void draw_wire(struct view *v, const struct screen *s)
{
    static char row[WIRE_ROW_MAX];
    int y0 = (int)view_log_rows(v);
    size_t rows = view_wire_rows(v);
    draw_wire_title(v, s, y0);
    size_t n = wire_count(s->wire);
    size_t back = s->wire_scroll < n ? s->wire_scroll : n;
    size_t shown = n - back < rows ? n - back : rows;
    uint64_t seq = s->wire->total - back - shown;
    for (size_t i = 0; i < rows; i++) {
        int y = y0 + 1 + (int)i;
        move(y, 0);
        clrtoeol();
        const struct wire_rec *r = i < shown ? wire_get(s->wire, seq + i) : NULL;
        if (r == NULL)
            continue;
        size_t pre;
        size_t len = wire_format(r, (size_t)v->cols, text_ascii(), row, sizeof(row), &pre);
        short pair = r->kind == WIRE_READ ? PAIR_JOIN : r->kind == WIRE_WRITE ? PAIR_LOCAL : 0;
        struct style ps = style_of(v, r->kind == WIRE_CONNECT ? A_DIM : A_BOLD, pair);
        put_text(row, pre, ps.attr, ps.pair, v->cols);
        put_text(row + pre, len - pre, A_NORMAL, 0, v->cols);
    }
}

static void draw_status(struct view *v, const struct screen *s)
{
    int y = v->rows - 2;
    move(y, 0);
    attr_set(A_REVERSE, 0, NULL);
    for (int x = 0; x < v->cols; x++)
        addch(' ');
    move(y, 0);
    char buf[sizeof(v->status_line) - 4];
    status_format_fit(s->st, buf, sizeof(buf), (size_t)v->cols - 1);
    char line[sizeof(buf) + 2];
    snprintf(line, sizeof(line), " %s", buf);
    put_text(line, strlen(line), A_REVERSE, 0, v->cols);
    /* "local only" stands out: messages now reach only some people. */
    long at = status_local_only_at(s->st, buf);
    if (at >= 0) {
        move(y, 1 + (int)text_width(buf, (size_t)at));
        struct style w = style_of(v, A_BOLD | A_REVERSE, PAIR_ERR);
        put_text(STATUS_LOCAL_ONLY, strlen(STATUS_LOCAL_ONLY), w.attr, w.pair, v->cols);
    }
    attr_set(A_NORMAL, 0, NULL);
    snprintf(v->status_line, sizeof(v->status_line), "%s", buf);
}

static void draw_input(struct view *v, const struct screen *s)
{
    int y = v->rows - 1;
    move(y, 0);
    clrtoeol();
    if (s->ask) {
        put_text(s->ask, strlen(s->ask), A_BOLD, 0, v->cols);
        return;
    }
    put_text("> ", 2, A_BOLD, 0, v->cols);
    size_t width = v->cols > 3 ? (size_t)v->cols - 3 : 1;
    size_t start, ccol;
    editline_view(s->ed, width, &start, &ccol);
    size_t vis = text_fit(s->ed->buf + start, s->ed->len - start, width);
    put_text(s->ed->buf + start, vis, A_NORMAL, 0, v->cols);
    move(y, 2 + (int)ccol);
}

/* The too-small note in the rows and columns there are: the first of
 * these layouts, most telling first, whose rows all fit whole (a size cut
 * in half, "have 20x", tells nothing). All ASCII: bytes are columns. */
static void draw_too_small(const struct view *v)
{
    enum { ROWS = 3 };
    static const char big[] = "terminal too small", small[] = "too small";
    char need[32], have[32], both[72], big1[128], small1[128], small2[64];
    snprintf(need, sizeof(need), "need %dx%d", VIEW_MIN_COLS, VIEW_MIN_ROWS);
    snprintf(have, sizeof(have), "have %dx%d", v->cols, v->rows);
    snprintf(both, sizeof(both), "%s, %s", need, have);
    snprintf(big1, sizeof(big1), "%s: %s", big, both);
    snprintf(small1, sizeof(small1), "%s: %s", small, both);
    snprintf(small2, sizeof(small2), "%s: %s", small, need);
    const char *const layouts[][ROWS] = {
        {big, both, NULL},    {big1, NULL, NULL},  {big, need, have},    {small, need, have},
        {small1, NULL, NULL}, {small, need, NULL}, {small2, NULL, NULL}, {small, NULL, NULL},
    };
    size_t n = sizeof(layouts) / sizeof(*layouts), pick = n - 1;
    for (size_t i = 0; i < n && pick == n - 1; i++) {
        bool fits = true;
        for (int r = 0; r < ROWS && layouts[i][r]; r++)
            fits = fits && r < v->rows && strlen(layouts[i][r]) <= (size_t)v->cols;
        if (fits)
            pick = i;
    }
    for (int r = 0; r < ROWS && r < v->rows && layouts[pick][r]; r++)
        mvaddnstr(r, 0, layouts[pick][r], v->cols);
}

void view_draw(struct view *v, const struct screen *s)
{
    if (v->rows < VIEW_MIN_ROWS || v->cols < VIEW_MIN_COLS) {
        if (!v->full)
            return;
        erase();
        draw_too_small(v);
        v->full = false;
        /* A terminal that shrinks moves or keeps its old content as it
         * likes (tmux keeps the bottom rows), so curses' copy of the
         * screen is wrong: repaint every cell, not just the differences. */
        clearok(curscr, TRUE);
        refresh();
        return;
    }
    char status[sizeof(v->status_line) - 4];
    status_format_fit(s->st, status, sizeof(status), (size_t)v->cols - 1);
    bool log_dirty = v->full || v->log_version != s->log->version || v->log_scroll != s->lv->scroll;
    bool status_dirty = v->full || strcmp(status, v->status_line) != 0;
    bool input_dirty = v->full || v->ed_version != s->ed->version || v->ask != s->ask ||
                       v->ask_version != s->ask_version;
    bool wire_dirty = v->wire_open && s->wire &&
                      (v->full || v->wire_total != s->wire->total ||
                       v->wire_scroll != s->wire_scroll || v->wire_focus != s->wire_focus);

    if (v->full)
        erase();
    if (log_dirty)
        draw_log(v, s);
    if (wire_dirty) {
        draw_wire(v, s);
        v->wire_total = s->wire->total;
        v->wire_scroll = s->wire_scroll;
        v->wire_focus = s->wire_focus;
        input_dirty = true; /* the cursor goes back to the input line */
    }
    if (status_dirty)
        draw_status(v, s);
    /* The input line is drawn last so the cursor ends up in it. */
    if (input_dirty || log_dirty || status_dirty)
        draw_input(v, s);
    v->log_version = s->log->version;
    v->log_scroll = s->lv->scroll;
    v->ed_version = s->ed->version;
    v->ask = s->ask;
    v->ask_version = s->ask_version;
    if (v->full)
        clearok(curscr, TRUE);
    v->full = false;
    if (log_dirty || status_dirty || input_dirty)
        refresh();
}

void view_bell(void)
{
    if (active)
        beep();
}
