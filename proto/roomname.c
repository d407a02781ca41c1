/* roomname: the one spelling of a room's name. Folded to lower case once,
 * when it is typed, so the server compares names with strcmp and every
 * listing shows the same spelling. */
#include "roomname.h"

static bool name_char(char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
           ch == '_' || ch == '-';
}

bool roomname_valid(const char *s, size_t len)
{
    if (len < 2 || len > ROOMNAME_MAX + 1 || s[0] != '#')
        return false;
    for (size_t i = 1; i < len; i++)
        if (!name_char(s[i]))
            return false;
    return true;
}

int roomname_parse(char dst[ROOMNAME_SIZE], const char *s, size_t len)
{
    dst[0] = '\0';
    if (len > 0 && s[0] == '#') {
        s++;
        len--;
    }
    if (len < 1 || len > ROOMNAME_MAX)
        return -1;
    for (size_t i = 0; i < len; i++)
        if (!name_char(s[i]))
            return -1;
    dst[0] = '#';
    for (size_t i = 0; i < len; i++)
        dst[i + 1] = s[i] >= 'A' && s[i] <= 'Z' ? (char)(s[i] - 'A' + 'a') : s[i];
    dst[len + 1] = '\0';
    return (int)len + 1;
}
