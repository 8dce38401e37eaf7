DROP TABLE activity_files;
DROP TABLE activities;
