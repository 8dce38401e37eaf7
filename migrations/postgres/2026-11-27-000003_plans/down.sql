DROP TABLE plan_items;
DROP TABLE development_plans;
