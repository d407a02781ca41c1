/* akeys: what a key does in the dashboard, as one table of bindings.
 *
 * A pending question (kick? mute?) takes the next key first; `q` on an
 * empty line detaches; then a row of bindings[] either edits the input
 * line or acts on the dashboard; any other character is typed. The words
 * for F1 are acmd_keys_help (acmd.c), next to the commands. */
#include <stdlib.h>
#include <string.h>

#include "acmd.h"
#include "dloop.h"
#include "text.h"

static void key_detach(struct dloop *a)
{
    a->done = true;
}

static void key_help(struct dloop *a)
{
    dash_help(&a->d, aapp_wall_ms());
}

static void key_sort(struct dloop *a)
{
    roster_sort_next(&a->d.roster);
}

static void key_kick(struct dloop *a)
{
    dash_ask(&a->d, aapp_wall_ms(), "kick");
}

static void key_mute(struct dloop *a)
{
    dash_ask(&a->d, aapp_wall_ms(), "mute");
}

static void key_up(struct dloop *a)
{
    roster_select_move(&a->d.roster, -1);
}

static void key_down(struct dloop *a)
{
    roster_select_move(&a->d.roster, 1);
}

/* A page of the log: its height less one row, kept for context. */
static long log_page(struct dloop *a)
{
    size_t rows = aview_log_rows(&a->v, &a->d);
    return rows > 2 ? (long)rows - 1 : 1;
}

static void key_pgup(struct dloop *a)
{
    evlog_scroll(&a->d.log, log_page(a), aview_log_rows(&a->v, &a->d));
}

static void key_pgdn(struct dloop *a)
{
    evlog_scroll(&a->d.log, -log_page(a), aview_log_rows(&a->v, &a->d));
}

static void key_newest(struct dloop *a)
{
    evlog_bottom(&a->d.log);
}

static void key_tab(struct dloop *a)
{
    acmd_complete(&a->d.ed, &a->d.roster);
}

static void key_redraw(struct dloop *a)
{
    aview_invalidate(&a->v);
}

static void key_suspend(struct dloop *a)
{
    aview_suspend(&a->v);
}

static void key_enter(struct dloop *a)
{
    char *line = editline_take(&a->d.ed);
    if (line == NULL)
        return;
    const char *s = line;
    while (*s == ' ')
        s++;
    if (*s) {
        /* `help`: the keys here, and the server's commands from it. */
        if (strcmp(s, "help") == 0 || strcmp(s, "/help") == 0)
            dash_help(&a->d, aapp_wall_ms());
        dloop_send(a, s, false);
    }
    free(line);
}

/* ch: the character of a Ctrl or Alt key, the number of an F key, else 0.
 * Up and Down select a row, so the history is on Ctrl-P/Ctrl-N. */
static const struct binding {
    enum akey_type type;
    uint32_t ch;
    void (*edit)(struct editline *ed);
    void (*act)(struct dloop *a);
} bindings[] = {
    {AK_BACKSPACE, 0, editline_backspace, NULL},
    {AK_DELETE, 0, editline_delete, NULL},
    {AK_LEFT, 0, editline_left, NULL},
    {AK_RIGHT, 0, editline_right, NULL},
    {AK_HOME, 0, editline_home, NULL},
    {AK_END, 0, editline_end, NULL},
    {AK_CTRL, 'a', editline_home, NULL},
    {AK_CTRL, 'e', editline_end, NULL},
    {AK_CTRL, 'b', editline_left, NULL},
    {AK_CTRL, 'f', editline_right, NULL},
    {AK_CTRL, 'w', editline_kill_word, NULL},
    {AK_CTRL, 'u', editline_kill_start, NULL},
    {AK_CTRL, 'k', editline_kill_end, NULL},
    {AK_CTRL, 'p', editline_history_prev, NULL},
    {AK_CTRL, 'n', editline_history_next, NULL},
    {AK_ALT, 'b', editline_word_left, NULL},
    {AK_ALT, 'f', editline_word_right, NULL},
    {AK_ENTER, 0, NULL, key_enter},
    {AK_TAB, 0, NULL, key_tab},
    {AK_UP, 0, NULL, key_up},
    {AK_DOWN, 0, NULL, key_down},
    {AK_PGUP, 0, NULL, key_pgup},
    {AK_PGDN, 0, NULL, key_pgdn},
    {AK_ESC, 0, NULL, key_newest},
    {AK_F, 1, NULL, key_help},
    {AK_F, 2, NULL, key_sort},
    {AK_ALT, 's', NULL, key_sort},
    {AK_F, 8, NULL, key_kick},
    {AK_ALT, 'k', NULL, key_kick},
    {AK_F, 9, NULL, key_mute},
    {AK_ALT, 'm', NULL, key_mute},
    {AK_CTRL, 'c', NULL, key_detach},
    {AK_CTRL, 'l', NULL, key_redraw},
    {AK_CTRL, 'z', NULL, key_suspend},
};

/* The question before a kick or a mute: y sends it, anything else not. */
static void answer(struct dloop *a, const struct akey *k)
{
    char cmd[160];
    bool yes = k->type == AK_CHAR && (k->ch == 'y' || k->ch == 'Y');
    if (dash_answer(&a->d, yes, cmd, sizeof(cmd)))
        dloop_send(a, cmd, false);
    else
        dash_note(&a->d, aapp_wall_ms(), "not done");
}

void akeys_handle(struct dloop *a, const struct akey *k)
{
    if (a->d.ask[0]) {
        answer(a, k);
        return;
    }
    if (k->type == AK_CHAR && k->ch == 'q' && a->d.ed.len == 0) {
        key_detach(a);
        return;
    }
    for (size_t i = 0; i < sizeof(bindings) / sizeof(*bindings); i++) {
        const struct binding *b = &bindings[i];
        if (b->type != k->type || b->ch != k->ch)
            continue;
        if (b->edit)
            b->edit(&a->d.ed);
        else
            b->act(a);
        return;
    }
    if (k->type == AK_CHAR) {
        char u[4];
        size_t n = text_encode(k->ch, u);
        editline_insert(&a->d.ed, u, n);
    }
}
