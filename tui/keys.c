/* keys: what a key does. The prompt (prompt.c), a paste being received
 * and a y/n question take keys first; otherwise the table of bindings at
 * the end says, and a new binding goes there (and into /help's key lines
 * in command.c). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "app.h"
#include "text.h"

/* Pastes. With bracketed paste (view.c turns it on) the terminal marks a
 * paste, and its lines become chat messages, never commands. A terminal
 * without it sends a paste as plain keys, which cannot be told from fast
 * typing: every line is then submitted as typed, so a pasted "/quit" or
 * "exit" does quit. That is left as it is (guessing from timing would turn
 * a quickly typed command into chat); only a Tab inside such a burst is
 * taken as text (see TK_TAB), and a line longer than the input line is
 * reported rather than cut in silence. */

static void paste_add(struct app *a, const char *s, size_t n)
{
    if (a->paste_len + n > PASTE_MAX) {
        a->paste_cut = true;
        return;
    }
    if (a->paste_len + n + 1 > a->paste_cap) {
        size_t cap = a->paste_cap ? a->paste_cap * 2 : 4096;
        char *p = realloc(a->paste, cap);
        if (!p) {
            a->paste_cut = true;
            return;
        }
        a->paste = p;
        a->paste_cap = cap;
    }
    memcpy(a->paste + a->paste_len, s, n);
    a->paste_len += n;
}

static void paste_end(struct app *a)
{
    a->in_paste = false;
    if (a->paste_cut)
        chat_note(&a->cl, ENTRY_ERR, "paste: only its first MiB was kept");
    a->paste_cut = false;
    if (a->paste_len == 0)
        return;
    bool one_line = !memchr(a->paste, '\n', a->paste_len);
    /* One line that fits the edit line: just typing, fast. */
    if (!one_line || !editline_insert(&a->ed, a->paste, a->paste_len)) {
        /* Several lines, or one too long to edit: sent as chat messages.
         * The text around the cursor belongs to the paste's first and last
         * lines. A long line is cut into several messages, which the user
         * did not ask for by pasting: so it always asks first. */
        size_t before = a->ed.cur, after = a->ed.len - a->ed.cur;
        char *all = malloc(before + a->paste_len + after + 1);
        if (all) {
            memcpy(all, a->ed.buf, before);
            memcpy(all + before, a->paste, a->paste_len);
            memcpy(all + before + a->paste_len, a->ed.buf + a->ed.cur, after);
            editline_clear(&a->ed);
            enum chat_action act = chat_paste(&a->cl, all, before + a->paste_len + after, one_line);
            free(all);
            if (act == CHAT_ASK_PASTE && one_line) {
                a->asking = true;
                snprintf(a->ask, sizeof(a->ask), "Long paste: send as %zu messages? (y/n)",
                         a->cl.npaste);
            } else {
                loop_act(a, act);
            }
        } else {
            chat_note(&a->cl, ENTRY_ERR, "paste: out of memory; not pasted");
        }
    }
    a->paste_len = 0;
}

/* Keys inside a bracketed paste are its text. */
static void paste_key(struct app *a, const struct tkey *k)
{
    char u[4];
    if (k->type == TK_PASTE_END)
        paste_end(a);
    else if (k->type == TK_CHAR)
        paste_add(a, u, text_encode(k->ch, u));
    else if (k->type == TK_ENTER || (k->type == TK_CTRL && k->ch == 'j'))
        paste_add(a, "\n", 1);
    else if (k->type == TK_TAB)
        paste_add(a, " ", 1);
}

/* "Send N pasted lines? (y/n)": anything else is ignored. */
static void ask_key(struct app *a, const struct tkey *k)
{
    if (k->type == TK_CHAR && (k->ch == 'y' || k->ch == 'Y')) {
        a->asking = false;
        chat_paste_answer(&a->cl, true);
        if (!a->cl.online && a->cl.npend > 0)
            conn_retry_now(a); /* the pasted lines wait for a connection */
    } else if ((k->type == TK_CHAR && (k->ch == 'n' || k->ch == 'N')) || k->type == TK_ESC ||
               (k->type == TK_CTRL && k->ch == 'c')) {
        a->asking = false;
        chat_paste_answer(&a->cl, false);
    }
}

/* ---- what the bindings run ---- */

/* Typed (or pasted without bracketed paste) past the limit: say so once
 * per line rather than drop characters in silence. */
static void key_char(struct app *a, const struct tkey *k)
{
    char u[4];
    if (!editline_insert(&a->ed, u, text_encode(k->ch, u)) && !a->line_full) {
        a->line_full = true;
        chat_note(&a->cl, ENTRY_ERR, "the input line is full: the rest was not typed");
    }
}

static void key_enter(struct app *a, const struct tkey *k)
{
    (void)k;
    a->line_full = false;
    char *line = editline_take(&a->ed);
    if (line) {
        loop_act(a, chat_submit(&a->cl, line));
        free(line);
    }
    logview_bottom(&a->lv); /* what was typed is at the bottom */
}

/* Without bracketed paste a pasted tab arrives as the Tab key; completing
 * there would drop it, or worse put a nick into the text. A person waits
 * for the completion before typing on, so a Tab with keys behind it is
 * text, as in a bracketed paste. */
static void key_tab(struct app *a, const struct tkey *k)
{
    (void)k;
    if (a->burst) {
        editline_insert(&a->ed, " ", 1);
        return;
    }
    const char *cands[CHAT_NICKS_MAX + ROOMS_NAMES_MAX + 32];
    /* The word being completed, and the line before it: after "/join "
     * the candidates are room names. */
    size_t word = a->ed.comp_active ? a->ed.comp_start : a->ed.cur;
    while (!a->ed.comp_active && word > 0 && a->ed.buf[word - 1] != ' ')
        word--;
    char line[EDITLINE_MAX + 1];
    memcpy(line, a->ed.buf, a->ed.len);
    line[a->ed.len] = '\0';
    size_t n = chat_completions_at(&a->cl, line, word, cands, sizeof(cands) / sizeof(*cands));
    editline_complete(&a->ed, cands, n);
}

/* Alt-1..9: the Nth room of the status bar. */
static void key_room(struct app *a, const struct tkey *k)
{
    loop_act(a, chat_switch_room(&a->cl, k->ch - '0'));
}

/* Ctrl-O gave the scrolling keys to the wire pane. */
static bool wire_keys(const struct app *a)
{
    return a->wire_on && a->wire_focus;
}

static void key_top(struct app *a, const struct tkey *k)
{
    (void)k;
    if (wire_keys(a))
        loop_wire_scroll(a, WIRE_RECORDS);
    else
        logview_top(&a->lv, &a->log, view_log_cols(&a->view), view_log_rows(&a->view));
}

static void key_bottom(struct app *a, const struct tkey *k)
{
    (void)k;
    if (wire_keys(a))
        a->wire_scroll = 0;
    else
        logview_bottom(&a->lv);
}

/* On an empty line Home/End scroll the log; otherwise they edit. */
static void key_home(struct app *a, const struct tkey *k)
{
    if (a->ed.len == 0)
        key_top(a, k);
    else
        editline_home(&a->ed);
}

static void key_end(struct app *a, const struct tkey *k)
{
    if (a->ed.len == 0)
        key_bottom(a, k);
    else
        editline_end(&a->ed);
}

static void scroll_by(struct app *a, long rows)
{
    if (wire_keys(a))
        loop_wire_scroll(a, rows);
    else
        logview_scroll(&a->lv, &a->log, rows, view_log_cols(&a->view), view_log_rows(&a->view));
}

static long page_rows(const struct app *a)
{
    long rows = wire_keys(a) ? (long)view_wire_rows(&a->view) : (long)view_log_rows(&a->view);
    return rows - 1 < 1 ? 1 : rows - 1;
}

static void key_page_up(struct app *a, const struct tkey *k)
{
    (void)k;
    scroll_by(a, page_rows(a));
}

static void key_page_down(struct app *a, const struct tkey *k)
{
    (void)k;
    scroll_by(a, -page_rows(a));
}

static void key_wheel_up(struct app *a, const struct tkey *k)
{
    (void)k;
    scroll_by(a, 3);
}

static void key_wheel_down(struct app *a, const struct tkey *k)
{
    (void)k;
    scroll_by(a, -3);
}

static void key_paste_begin(struct app *a, const struct tkey *k)
{
    (void)k;
    a->in_paste = true;
    a->paste_len = 0;
    a->paste_cut = false;
}

static void key_redraw(struct app *a, const struct tkey *k)
{
    (void)k;
    view_invalidate(&a->view);
}

static void key_suspend(struct app *a, const struct tkey *k)
{
    (void)k;
    if (a->cl.restricted) {
        chat_note(&a->cl, ENTRY_ERR,
                  "Ctrl-Z: no suspending in this session (there is no shell behind it); "
                  "/quit leaves");
        return;
    }
    view_suspend(&a->view);
}

static void key_quit(struct app *a, const struct tkey *k)
{
    (void)k;
    loop_act(a, chat_submit(&a->cl, "/quit"));
}

static void key_help(struct app *a, const struct tkey *k)
{
    (void)k;
    loop_act(a, chat_submit(&a->cl, "/help"));
    logview_bottom(&a->lv); /* the help is at the bottom */
}

static void key_wire(struct app *a, const struct tkey *k)
{
    (void)k;
    loop_wire_toggle(a);
}

/* Ctrl-O: the scrolling keys move the wire pane, or the log again. */
static void key_wire_focus(struct app *a, const struct tkey *k)
{
    (void)k;
    if (!a->wire_on) {
        chat_note(&a->cl, ENTRY_LOCAL, "Ctrl-O scrolls the wire view: open it with F2 or /wire");
        return;
    }
    a->wire_focus = !a->wire_focus;
}

static void key_ctrl_d(struct app *a, const struct tkey *k)
{
    if (a->ed.len == 0)
        key_quit(a, k);
    else
        editline_delete(&a->ed);
}

/* ---- the bindings ---- */

/* A key (type, and ch for TK_CTRL and TK_ALT; 0: any) runs one of an
 * editing function of the input line or a function of the client. */
static const struct binding {
    enum tkey_type type;
    uint32_t ch;
    void (*edit)(struct editline *ed);
    void (*run)(struct app *a, const struct tkey *k);
} bindings[] = {
    {TK_CHAR, 0, NULL, key_char},
    {TK_ENTER, 0, NULL, key_enter},
    {TK_TAB, 0, NULL, key_tab},
    {TK_BACKSPACE, 0, editline_backspace, NULL},
    {TK_DELETE, 0, editline_delete, NULL},
    {TK_LEFT, 0, editline_left, NULL},
    {TK_RIGHT, 0, editline_right, NULL},
    {TK_UP, 0, editline_history_prev, NULL},
    {TK_DOWN, 0, editline_history_next, NULL},
    {TK_HOME, 0, NULL, key_home},
    {TK_END, 0, NULL, key_end},
    {TK_TOP, 0, NULL, key_top},
    {TK_BOTTOM, 0, NULL, key_bottom},
    {TK_PGUP, 0, NULL, key_page_up},
    {TK_PGDN, 0, NULL, key_page_down},
    {TK_WHEEL_UP, 0, NULL, key_wheel_up},
    {TK_WHEEL_DOWN, 0, NULL, key_wheel_down},
    {TK_PASTE_BEGIN, 0, NULL, key_paste_begin},
    {TK_F1, 0, NULL, key_help},
    {TK_F2, 0, NULL, key_wire},
    {TK_ALT, '1', NULL, key_room},
    {TK_ALT, '2', NULL, key_room},
    {TK_ALT, '3', NULL, key_room},
    {TK_ALT, '4', NULL, key_room},
    {TK_ALT, '5', NULL, key_room},
    {TK_ALT, '6', NULL, key_room},
    {TK_ALT, '7', NULL, key_room},
    {TK_ALT, '8', NULL, key_room},
    {TK_ALT, '9', NULL, key_room},
    {TK_ALT, 'b', editline_word_left, NULL},
    {TK_ALT, 'B', editline_word_left, NULL},
    {TK_ALT, 'f', editline_word_right, NULL},
    {TK_ALT, 'F', editline_word_right, NULL},
    {TK_CTRL, 'a', editline_home, NULL},
    {TK_CTRL, 'e', editline_end, NULL},
    {TK_CTRL, 'b', editline_left, NULL},
    {TK_CTRL, 'f', editline_right, NULL},
    {TK_CTRL, 'w', editline_kill_word, NULL},
    {TK_CTRL, 'u', editline_kill_start, NULL},
    {TK_CTRL, 'k', editline_kill_end, NULL},
    {TK_CTRL, 'p', editline_history_prev, NULL},
    {TK_CTRL, 'n', editline_history_next, NULL},
    {TK_CTRL, 'l', NULL, key_redraw},
    {TK_CTRL, 'o', NULL, key_wire_focus},
    {TK_CTRL, 'z', NULL, key_suspend},
    {TK_CTRL, 'j', NULL, key_enter},
    {TK_CTRL, 'c', NULL, key_quit},
    {TK_CTRL, 'd', NULL, key_ctrl_d},
};

void keys_handle(struct app *a, const struct tkey *k)
{
    /* A paste under way when the prompt came is chat: it goes on there. */
    if (a->pw.active && !a->in_paste) {
        prompt_key(a, k);
        return;
    }
    if (a->trust.active) {
        if (k->type != TK_PASTE_BEGIN && k->type != TK_PASTE_END)
            trustask_key(a, k); /* a pasted "yes" is no answer */
        return;
    }
    if (a->in_paste) {
        paste_key(a, k);
        return;
    }
    if (a->asking) {
        ask_key(a, k);
        return;
    }
    for (size_t i = 0; i < sizeof(bindings) / sizeof(*bindings); i++) {
        const struct binding *b = &bindings[i];
        if (b->type != k->type || (b->ch != 0 && b->ch != k->ch))
            continue;
        if (b->edit)
            b->edit(&a->ed);
        else
            b->run(a, k);
        return;
    }
}
