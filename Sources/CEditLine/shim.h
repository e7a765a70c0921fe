#ifndef RAPPORT_CEDITLINE_SHIM_H
#define RAPPORT_CEDITLINE_SHIM_H
#include <stdio.h>
#include <editline/readline.h>
#include <histedit.h>

/* libedit keeps its settings in C globals, which Swift 6 refuses to touch from Swift
   (shared mutable state); these accessors are the one place that does. */
static inline void rapport_rl_configure(const char *name, const char *wordBreaks, rl_completion_func_t *complete) {
    rl_readline_name = name;
    rl_basic_word_break_characters = wordBreaks;
    rl_attempted_completion_function = complete;
    rl_sort_completion_matches = 0;
}
static inline void rapport_rl_set_attempted_completion_over(int over) { rl_attempted_completion_over = over; }
static inline void rapport_rl_set_completion_append_character(int c) { rl_completion_append_character = c; }
static inline const char *rapport_rl_line_buffer(void) { return rl_line_buffer; }
static inline FILE *rapport_stdin(void) { return stdin; }
#endif
