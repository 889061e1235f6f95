-- Creates one app's user and database if missing, applies its password and
-- grants; never drops or truncates anything. init.sh sends, before this
-- file, SET NAMES utf8mb4 and @app_database, @app_user, @app_password as hex
-- literals (UNHEX), so no value is ever parsed as SQL. Statements are built
-- with QUOTE(), which the server computes, and run by EXECUTE IMMEDIATE.
-- QUOTE() escapes with backslashes: make sure they are honoured.
SET SESSION sql_mode = 'STRICT_ALL_TABLES,NO_ENGINE_SUBSTITUTION';
DELIMITER //
BEGIN NOT ATOMIC
  DECLARE user_exists INT DEFAULT 0;
  -- (?-i): REGEXP follows the collation, which ignores case.
  IF @app_database IS NULL OR NOT @app_database REGEXP '(?-i)^[a-z][a-z0-9_]{0,62}$'
     OR @app_database IN ('mysql', 'information_schema', 'performance_schema', 'sys', 'test') THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'init: invalid database name';
  END IF;
  IF @app_user IS NULL OR NOT @app_user REGEXP '(?-i)^[a-z][a-z0-9_]{0,62}$'
     OR @app_user IN ('root', 'mysql', 'mariadb', 'healthcheck') THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'init: invalid user name';
  END IF;
  IF @app_password IS NULL OR @app_password = '' THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'init: empty password';
  END IF;
  -- Never take over an account with global privileges (an admin account).
  IF EXISTS (SELECT 1 FROM information_schema.USER_PRIVILEGES
              WHERE SUBSTRING_INDEX(GRANTEE, '@', 1) = QUOTE(@app_user) AND PRIVILEGE_TYPE <> 'USAGE') THEN
    SIGNAL SQLSTATE '45000' SET MESSAGE_TEXT = 'init: refusing to manage a user with global privileges';
  END IF;

  SELECT COUNT(*) INTO user_exists FROM mysql.user WHERE User = @app_user AND Host = '%';
  IF user_exists = 0 THEN
    EXECUTE IMMEDIATE CONCAT('CREATE USER ', QUOTE(@app_user), '@''%'' IDENTIFIED BY ', QUOTE(@app_password));
    SELECT CONCAT('init: created user ', @app_user);
  ELSE
    -- Always applied: a password changed in the SOPS file takes effect here.
    EXECUTE IMMEDIATE CONCAT('ALTER USER ', QUOTE(@app_user), '@''%'' IDENTIFIED BY ', QUOTE(@app_password));
  END IF;

  IF NOT EXISTS (SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = @app_database) THEN
    EXECUTE IMMEDIATE CONCAT('CREATE DATABASE `', @app_database, '` CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci');
    SELECT CONCAT('init: created database ', @app_database);
  END IF;
  -- In GRANT, _ in a database name is a wildcard: escape it, or the user of
  -- app_x would also get appyx.
  EXECUTE IMMEDIATE CONCAT('GRANT ALL PRIVILEGES ON `', REPLACE(@app_database, '_', '\\_'), '`.* TO ',
                           QUOTE(@app_user), '@''%''');
  SELECT CONCAT('init: ok ', @app_database, ' ', @app_user);
END //
DELIMITER ;
