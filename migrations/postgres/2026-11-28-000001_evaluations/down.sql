DROP TABLE impact_reviews;
DROP TABLE course_reactions;
