DROP TABLE completions;
DROP TABLE quiz_attempts;
DROP TABLE lesson_progress;
DROP TABLE enrollments;
