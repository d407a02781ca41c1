/* editline: UTF-8 line editing, history and completion (see editline.h). */
#define _XOPEN_SOURCE 700
#include "editline.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "sanitize.h"
#include "text.h"

void editline_init(struct editline *ed)
{
    memset(ed, 0, sizeof(*ed));
}

void editline_free(struct editline *ed)
{
    for (size_t i = 0; i < ed->hist_count; i++)
        free(ed->history[i]);
    free(ed->hist_saved);
    memset(ed, 0, sizeof(*ed));
}

static void changed(struct editline *ed)
{
    ed->buf[ed->len] = '\0';
    ed->comp_active = false;
    ed->version++;
}

/* Start of the character (base + zero-width marks) after pos. */
static size_t next_char(const struct editline *ed, size_t pos)
{
    uint32_t cp;
    if (pos >= ed->len)
        return ed->len;
    pos += text_decode(ed->buf + pos, ed->len - pos, &cp);
    while (pos < ed->len) {
        size_t n = text_decode(ed->buf + pos, ed->len - pos, &cp);
        if (cp < 0x80 || text_cp_width(cp) != 0)
            break;
        pos += n;
    }
    return pos;
}

/* Start of the character before pos. */
static size_t prev_char(const struct editline *ed, size_t pos)
{
    size_t p = 0, last = 0;
    /* Walking from a known boundary is the only safe way back over
     * combining marks; lines are short, so this costs nothing. */
    while (p < pos) {
        last = p;
        p = next_char(ed, p);
    }
    return last;
}

static bool is_blank_at(const struct editline *ed, size_t pos)
{
    return ed->buf[pos] == ' ';
}

bool editline_insert(struct editline *ed, const char *s, size_t len)
{
    char clean[EDITLINE_MAX];
    size_t n = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c < 0x20 || c == 0x7F)
            continue;
        if (n == sizeof(clean))
            return false;
        clean[n++] = (char)c;
    }
    /* Never keep half a character. */
    n = utf8_valid_prefix(clean, n);
    if (n == 0)
        return true;
    if (ed->len + n > EDITLINE_MAX)
        return false;
    memmove(ed->buf + ed->cur + n, ed->buf + ed->cur, ed->len - ed->cur);
    memcpy(ed->buf + ed->cur, clean, n);
    ed->len += n;
    ed->cur += n;
    changed(ed);
    return true;
}

void editline_set(struct editline *ed, const char *s)
{
    size_t n = strlen(s);
    if (n > EDITLINE_MAX)
        n = EDITLINE_MAX;
    memcpy(ed->buf, s, n);
    ed->len = n;
    ed->cur = n;
    changed(ed);
}

void editline_clear(struct editline *ed)
{
    ed->len = 0;
    ed->cur = 0;
    ed->hscroll = 0;
    changed(ed);
}

void editline_left(struct editline *ed)
{
    ed->cur = prev_char(ed, ed->cur);
    changed(ed);
}

void editline_right(struct editline *ed)
{
    ed->cur = next_char(ed, ed->cur);
    changed(ed);
}

void editline_home(struct editline *ed)
{
    ed->cur = 0;
    changed(ed);
}

void editline_end(struct editline *ed)
{
    ed->cur = ed->len;
    changed(ed);
}

static void cut(struct editline *ed, size_t from, size_t to)
{
    if (to <= from)
        return;
    memmove(ed->buf + from, ed->buf + to, ed->len - to);
    ed->len -= to - from;
    ed->cur = from;
}

void editline_backspace(struct editline *ed)
{
    cut(ed, prev_char(ed, ed->cur), ed->cur);
    changed(ed);
}

void editline_delete(struct editline *ed)
{
    size_t keep = ed->cur;
    cut(ed, ed->cur, next_char(ed, ed->cur));
    ed->cur = keep;
    changed(ed);
}

static size_t word_start_before(const struct editline *ed, size_t pos)
{
    while (pos > 0 && is_blank_at(ed, prev_char(ed, pos)))
        pos = prev_char(ed, pos);
    while (pos > 0 && !is_blank_at(ed, prev_char(ed, pos)))
        pos = prev_char(ed, pos);
    return pos;
}

void editline_word_left(struct editline *ed)
{
    ed->cur = word_start_before(ed, ed->cur);
    changed(ed);
}

void editline_word_right(struct editline *ed)
{
    size_t pos = ed->cur;
    while (pos < ed->len && is_blank_at(ed, pos))
        pos = next_char(ed, pos);
    while (pos < ed->len && !is_blank_at(ed, pos))
        pos = next_char(ed, pos);
    ed->cur = pos;
    changed(ed);
}

void editline_kill_word(struct editline *ed)
{
    cut(ed, word_start_before(ed, ed->cur), ed->cur);
    changed(ed);
}

void editline_kill_start(struct editline *ed)
{
    cut(ed, 0, ed->cur);
    changed(ed);
}

void editline_kill_end(struct editline *ed)
{
    ed->len = ed->cur;
    changed(ed);
}

static void load(struct editline *ed, const char *s)
{
    editline_set(ed, s ? s : "");
}

void editline_history_prev(struct editline *ed)
{
    if (ed->hist_pos == 0)
        return;
    if (ed->hist_pos == ed->hist_count) {
        free(ed->hist_saved);
        ed->hist_saved = strdup(ed->buf);
    }
    ed->hist_pos--;
    load(ed, ed->history[ed->hist_pos]);
}

void editline_history_next(struct editline *ed)
{
    if (ed->hist_pos >= ed->hist_count)
        return;
    ed->hist_pos++;
    if (ed->hist_pos == ed->hist_count) {
        load(ed, ed->hist_saved);
        free(ed->hist_saved);
        ed->hist_saved = NULL;
    } else {
        load(ed, ed->history[ed->hist_pos]);
    }
}

char *editline_take(struct editline *ed)
{
    char *line = strdup(ed->buf);
    if (!line)
        return NULL;
    bool dup = ed->hist_count > 0 && strcmp(ed->history[ed->hist_count - 1], line) == 0;
    if (ed->len > 0 && !dup) {
        char *copy = strdup(line);
        if (copy) {
            if (ed->hist_count == EDITLINE_HISTORY_MAX) {
                free(ed->history[0]);
                memmove(ed->history, ed->history + 1, (EDITLINE_HISTORY_MAX - 1) * sizeof(char *));
                ed->hist_count--;
            }
            ed->history[ed->hist_count++] = copy;
        }
    }
    ed->hist_pos = ed->hist_count;
    free(ed->hist_saved);
    ed->hist_saved = NULL;
    editline_clear(ed);
    return line;
}

/* nick_colon: a candidate completed at the start of the line is a nick
 * being addressed, and gets ": " (the chat client's habit). */
static bool complete_with(struct editline *ed, const char *const *cands, size_t n, bool nick_colon)
{
    size_t start, index;
    if (ed->comp_active) {
        start = ed->comp_start;
        index = ed->comp_index + 1;
    } else {
        start = ed->cur;
        while (start > 0 && ed->buf[start - 1] != ' ')
            start--;
        size_t stem = ed->cur - start;
        if (stem == 0 || stem >= sizeof(ed->comp_stem))
            return false;
        memcpy(ed->comp_stem, ed->buf + start, stem);
        ed->comp_stem[stem] = '\0';
        index = 0;
    }
    size_t stem_len = strlen(ed->comp_stem);
    size_t matches = 0;
    for (size_t i = 0; i < n; i++)
        if (strncasecmp(cands[i], ed->comp_stem, stem_len) == 0)
            matches++;
    if (matches == 0)
        return false;
    index %= matches;
    const char *pick = NULL;
    for (size_t i = 0, k = 0; i < n; i++) {
        if (strncasecmp(cands[i], ed->comp_stem, stem_len) != 0)
            continue;
        if (k++ == index) {
            pick = cands[i];
            break;
        }
    }
    if (pick == NULL) /* cannot happen: matches counted the same candidates */
        return false;
    char word[128];
    const char *sep = (nick_colon && start == 0 && pick[0] != '/') ? ": " : " ";
    int wn = snprintf(word, sizeof word, "%s%s", pick, sep);
    if (wn < 0 || (size_t)wn >= sizeof word)
        return false;
    size_t wl = (size_t)wn;
    if (ed->len - (ed->cur - start) + wl > EDITLINE_MAX)
        return false;
    /* Replace [start, cur) with the candidate. */
    memmove(ed->buf + start + wl, ed->buf + ed->cur, ed->len - ed->cur);
    ed->len = ed->len - (ed->cur - start) + wl;
    memcpy(ed->buf + start, word, wl);
    ed->cur = start + wl;
    changed(ed);
    ed->comp_active = true;
    ed->comp_start = start;
    ed->comp_index = index;
    return true;
}

bool editline_complete(struct editline *ed, const char *const *cands, size_t n)
{
    return complete_with(ed, cands, n, true);
}

bool editline_complete_word(struct editline *ed, const char *const *cands, size_t n)
{
    return complete_with(ed, cands, n, false);
}

void editline_view(struct editline *ed, size_t width, size_t *start, size_t *cursor_col)
{
    if (width < 2)
        width = 2;
    size_t col = text_width(ed->buf, ed->cur);
    size_t step = width / 4 ? width / 4 : 1;
    /* Keep the cursor inside [hscroll, hscroll + width - 1]. */
    if (col < ed->hscroll)
        ed->hscroll = col > step ? col - step : 0;
    if (col >= ed->hscroll + width)
        ed->hscroll = col - width + 1 + step;
    if (ed->hscroll > col)
        ed->hscroll = col;
    /* The first character starting at or after hscroll: a wide one that
     * straddles the edge is skipped rather than cut in half. */
    size_t pos = 0, c = 0;
    while (pos < ed->len && c < ed->hscroll) {
        uint32_t cp;
        pos += text_decode(ed->buf + pos, ed->len - pos, &cp);
        c += (size_t)text_cp_width(cp);
    }
    if (pos > ed->cur) {
        pos = ed->cur;
        c = col;
    }
    *start = pos;
    *cursor_col = col - c;
}
