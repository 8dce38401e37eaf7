DROP TABLE certificates;
DROP TABLE certificate_sequences;
DROP TABLE certificate_keys;
