<?php
// Builds the test's "old site" with WordPress's own API (Debian's wordpress
// package): a genuine schema, and data written the way WordPress writes it,
// serialized options holding the old URL included. Run by the Go test with
// php-cli against a MariaDB server on 127.0.0.1; nothing here is project
// code that runs in the cluster.
//
// Environment: WP_DB_NAME, WP_DB_PASSWORD, WP_DB_PORT (root over TCP),
// WP_OLD_URL, WP_CONTENT (directory for uploads), WP_POSTS (how many posts).

define('DB_NAME', getenv('WP_DB_NAME'));
define('DB_USER', 'root');
define('DB_PASSWORD', getenv('WP_DB_PASSWORD'));
define('DB_HOST', '127.0.0.1:' . getenv('WP_DB_PORT'));
define('DB_CHARSET', 'utf8mb4');
define('DB_COLLATE', '');
$table_prefix = 'wp_';
define('ABSPATH', '/usr/share/wordpress/');
define('WP_CONTENT_DIR', getenv('WP_CONTENT'));
define('WP_INSTALLING', true);
define('WP_DEBUG', false);

$old = getenv('WP_OLD_URL');
$host = parse_url($old, PHP_URL_HOST);
$_SERVER['HTTP_HOST'] = $host;
$_SERVER['SERVER_NAME'] = $host;
$_SERVER['REQUEST_URI'] = '/';
$_SERVER['SERVER_PORT'] = 80;

require_once ABSPATH . 'wp-settings.php';
require_once ABSPATH . 'wp-admin/includes/upgrade.php';

wp_install('Full Frontend', 'admin', 'admin@fullfrontend.be', true, '', 'admin-password-0123');
update_option('siteurl', $old);
update_option('home', $old);

$users = array(1);
for ($i = 1; $i <= 5; $i++) {
    $users[] = wp_insert_user(array(
        'user_login' => "author$i",
        'user_pass'  => "password-$i-0123456789",
        'user_email' => "author$i@fullfrontend.be",
        'user_url'   => "$old/author/author$i/",
        'role'       => 'author',
    ));
}

$n = (int) getenv('WP_POSTS');
for ($i = 1; $i <= $n; $i++) {
    $id = wp_insert_post(array(
        'post_title'   => "Article $i — été",
        'post_content' => "<!-- wp:paragraph --><p>Voir <a href=\"$old/page-$i/\">la page $i</a> et <img src=\"$old/wp-content/uploads/2024/01/image-$i.jpg\"></p><!-- /wp:paragraph -->",
        'post_status'  => $i % 10 == 0 ? 'draft' : 'publish',
        'post_author'  => $users[$i % count($users)],
    ));
    // Serialized post meta holding the URL, and page-builder JSON with
    // escaped slashes.
    update_post_meta($id, '_links', array('self' => "$old/?p=$id", 'nested' => array("$old/a", "$old/b")));
    // Written straight to the table: update_post_meta() would unslash the
    // JSON, page builders store it with its \/ escapes.
    $wpdb->insert($wpdb->postmeta, array('post_id' => $id, 'meta_key' => '_builder_data', 'meta_value' => json_encode(array('url' => "$old/x/$i"))));
    if ($i % 3 == 0) {
        wp_insert_comment(array(
            'comment_post_ID' => $id,
            'comment_author' => "Lecteur $i",
            'comment_author_url' => "$old/lecteur/$i",
            'comment_content' => "Merci ! $old/merci",
            'comment_approved' => 1,
        ));
    }
}
for ($i = 1; $i <= 4; $i++) {
    wp_insert_post(array('post_type' => 'page', 'post_title' => "Page $i", 'post_status' => 'publish',
        'post_content' => "<a href=\"$old/\">Accueil</a>"));
}
for ($i = 1; $i <= 7; $i++) {
    $file = "2024/01/image-$i.jpg";
    $att = wp_insert_attachment(array(
        'post_mime_type' => 'image/jpeg',
        'post_title' => "image-$i",
        'post_status' => 'inherit',
        'guid' => "$old/wp-content/uploads/$file",
    ), $file);
    update_post_meta($att, '_wp_attachment_metadata', array('file' => $file, 'width' => 800, 'height' => 600,
        'sizes' => array('thumbnail' => array('file' => "image-$i-150x150.jpg", 'url' => "$old/wp-content/uploads/2024/01/image-$i-150x150.jpg"))));
}
// Options as themes and widgets store them: serialized arrays with the URL,
// and a double-serialized value (a string holding serialized data).
update_option('widget_text', array(2 => array('title' => 'Contact', 'text' => "<a href=\"$old/contact\">Écrivez-nous</a>"), '_multiwidget' => 1));
update_option('theme_mods_twentytwentythree', array('header_image' => "$old/wp-content/uploads/header.png", 'custom_logo' => 12));
update_option('fullfrontend_double', serialize(array('logo' => "$old/logo.svg")));
echo "built\n";
