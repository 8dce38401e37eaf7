DROP TABLE recognition_letters;
DROP TABLE letter_sequences;
DROP TABLE milestones;
ALTER TABLE users DROP COLUMN show_in_standing;
