/* cli_common.c: checks shared by the commands of the `wandel` program. */
#include "cli.h"

#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

/* Whether the directory of an output path exists and can be written;
 * prints why not. */
bool output_dir_ok(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    if (!slash)
        snprintf(dir, sizeof dir, ".");
    else if (slash == path)
        snprintf(dir, sizeof dir, "/");
    else
        snprintf(dir, sizeof dir, "%.*s", (int)(slash - path), path);
    struct stat st;
    if (stat(dir, &st) != 0 || !S_ISDIR(st.st_mode)) {
        fprintf(stderr, "wandel: cannot write '%s': directory '%s' does not exist\n", path, dir);
        return false;
    }
    if (access(dir, W_OK) != 0) {
        fprintf(stderr, "wandel: cannot write '%s': directory '%s' is not writable (%s)\n", path, dir,
                strerror(errno));
        return false;
    }
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
        fprintf(stderr, "wandel: cannot write '%s': it is a directory\n", path);
        return false;
    }
    return true;
}
