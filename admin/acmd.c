/* acmd: the dashboard's command table and completion (see acmd.h). */
#include "acmd.h"

#include <string.h>
#include <strings.h>

const struct acmd acmd_table[] = {
    {"who", "who", false},
    {"stats", "stats", false},
    {"say", "say TEXT", false},
    {"kick", "kick NICK [DURATION] [REASON]", true},
    {"ban", "ban NICK|ADDR[/BITS] [REASON]", true},
    {"unban", "unban NICK|ADDR[/BITS]", true},
    {"mute", "mute NICK [DURATION] [REASON]", true},
    {"unmute", "unmute NICK", true},
    {"bans", "bans", false},
    {"roster", "roster", false},
    {"trace", "trace on|off|NICK", true},
    {"help", "help", false},
    {"quit", "quit", false},
};
const size_t acmd_count = sizeof(acmd_table) / sizeof(*acmd_table);

const char *const acmd_keys_help[] = {
    "keys: Up/Down select a connection; F2 (or Alt-s) sorts by the next column",
    "keys: F8 (or Alt-k) kicks the selected one, F9 (or Alt-m) mutes it: y confirms",
    "keys: PgUp/PgDn scroll the events, Esc back to the newest",
    "keys: Tab completes commands and nicks; Ctrl-P/Ctrl-N recall earlier commands",
    "keys: q on an empty line, or Ctrl-C, detaches: the server keeps running",
    "commands: who, stats, say, kick, mute, unmute, ban, unban, bans, roster, trace",
    "commands: /quit stops the server (q alone only detaches)",
    NULL,
};

const struct acmd *acmd_find(const char *line)
{
    while (*line == ' ')
        line++;
    if (*line == '/')
        line++;
    size_t n = strcspn(line, " ");
    for (size_t i = 0; i < acmd_count; i++)
        if (strlen(acmd_table[i].name) == n && strncasecmp(acmd_table[i].name, line, n) == 0)
            return &acmd_table[i];
    return NULL;
}

bool acmd_complete(struct editline *ed, const struct roster *r)
{
    const char *cands[ADMIN_ROSTER_MAX > 16 ? ADMIN_ROSTER_MAX : 16];
    size_t n = 0;
    /* Which word the cursor is in: the first, or an argument. While cycling,
     * the word started where the completion started. */
    size_t start = ed->comp_active ? ed->comp_start : ed->cur;
    while (start > 0 && ed->buf[start - 1] != ' ')
        start--;
    size_t words = 0;
    for (size_t i = 0; i < start; i++)
        if (ed->buf[i] != ' ' && (i == 0 || ed->buf[i - 1] == ' '))
            words++;
    if (words == 0) {
        for (size_t i = 0; i < acmd_count; i++)
            cands[n++] = acmd_table[i].name;
    } else {
        char line[64];
        size_t l = start < sizeof(line) - 1 ? start : sizeof(line) - 1;
        memcpy(line, ed->buf, l);
        line[l] = '\0';
        const struct acmd *c = acmd_find(line);
        if (c == NULL || !c->nick_arg || words != 1)
            return false;
        for (size_t i = 0; i < r->n && n < sizeof(cands) / sizeof(*cands); i++)
            if (r->rows[i].nick[0])
                cands[n++] = r->rows[i].nick;
    }
    return editline_complete_word(ed, cands, n);
}
