# Style checks, label lint: C++ against .clang-format, kernel/PRU C against checkpatch --strict.
add_test(NAME lint_clang_format COMMAND ${PROJECT_SOURCE_DIR}/scripts/lint-format)
add_test(NAME lint_checkpatch COMMAND ${PROJECT_SOURCE_DIR}/scripts/checkpatch --accepted)
set_tests_properties(lint_clang_format lint_checkpatch PROPERTIES LABELS lint TIMEOUT 300)
