-- One role and one database per service (the same layout deploy/local/postgres.sh makes).
CREATE ROLE procuratorate LOGIN PASSWORD 'procuratorate' CREATEDB;
CREATE DATABASE procuratorate OWNER procuratorate;
CREATE ROLE aid_center LOGIN PASSWORD 'aid_center' CREATEDB;
CREATE DATABASE aid_center OWNER aid_center;
CREATE ROLE notifier LOGIN PASSWORD 'notifier' CREATEDB;
CREATE DATABASE notifier OWNER notifier;
