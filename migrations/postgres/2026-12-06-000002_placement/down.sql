DROP TABLE placement_requests;
