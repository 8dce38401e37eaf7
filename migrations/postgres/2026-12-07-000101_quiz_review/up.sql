-- When learners see a quiz's right answers (front matter `review`): after_pass, after_last_attempt,
-- always, never. NULL (quizzes published before) reads as the default, after_pass.
ALTER TABLE modules ADD COLUMN review TEXT;
