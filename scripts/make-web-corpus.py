#!/usr/bin/env python3
"""Generates fixtures/web-corpus/pages.ndjson: synthetic saved pages for the fingerprint parity
test (OpenTI vs Wappalyzer's own engine). Own text; reserved `.test` names only.

Each page combines, with a fixed seed, a handful of hand-written snippets (response headers,
cookies, head and body markup) typical of common web technologies, plus filler text.
One JSON object per line: {"url", "status", "headers": [[name, value], ...], "html"}.
"""
import json
import random
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "fixtures" / "web-corpus" / "pages.ndjson"

# name: (headers, set-cookies, head, body)
SNIPPETS = {
    "wordpress": ([], [], '<meta name="generator" content="WordPress 6.4.2">\n<link rel="stylesheet" id="x-css" href="/wp-content/themes/twentyone/style.css?ver=6.4.2" media="all">\n<script src="/wp-includes/js/jquery/jquery.min.js?ver=3.7.1"></script>', '<div class="wp-block-group"><p>Hello from a blog.</p></div>'),
    "woocommerce": ([], ["woocommerce_items_in_cart=1; path=/"], '<meta name="generator" content="WooCommerce 8.4.0">\n<script src="/wp-content/plugins/woocommerce/assets/js/frontend/woocommerce.min.js?ver=8.4.0"></script>', '<div class="woocommerce"><ul class="products"></ul></div>'),
    "yoast": ([], [], '<!-- This site is optimized with the Yoast SEO plugin v21.7 - https://yoast.com/wordpress/plugins/seo/ -->', ""),
    "cf7": ([], [], '<script src="/wp-content/plugins/contact-form-7/includes/js/index.js?ver=5.8.4"></script>', '<div class="wpcf7"><form></form></div>'),
    "elementor": ([], [], '<link rel="stylesheet" href="/wp-content/plugins/elementor/assets/css/frontend.min.css?ver=3.18.2">', '<div class="elementor elementor-12"><section class="elementor-section"></section></div>'),
    "jquery": ([], [], '<script src="https://code.jquery.test/jquery-3.6.0.min.js"></script>', ""),
    "jquery-ui": ([], [], '<script src="/static/js/jquery-ui-1.13.2.min.js"></script>', ""),
    "bootstrap": ([], [], '<link rel="stylesheet" href="/css/bootstrap-4.6.2.min.css">\n<script src="/js/bootstrap.bundle.min.js"></script>', '<div class="container"><div class="row"></div></div>'),
    "react": ([], [], '<script src="/static/react-18.2.0.production.min.js"></script>', '<div id="root" data-reactroot=""></div>'),
    "vue": ([], [], '<script src="https://cdn.example.test/vue@2.7.14/dist/vue.min.js"></script>', '<div id="app" data-v-7ba5bd90></div>'),
    "nuxt": ([], [], '<script src="/_nuxt/app.4f3c2d.js"></script>', '<div id="__nuxt"></div>'),
    "next": ([("X-Powered-By", "Next.js")], [], '<script src="/_next/static/chunks/main-1234.js"></script>', '<div id="__next"></div>'),
    "gatsby": ([], [], '<meta name="generator" content="Gatsby 5.12.4">', '<div id="___gatsby"></div>'),
    "hugo": ([], [], '<meta name="generator" content="Hugo 0.121.1">', ""),
    "ghost": ([], [], '<meta name="generator" content="Ghost 5.75">', '<div class="gh-site"></div>'),
    "drupal": ([("X-Generator", "Drupal 10 (https://www.drupal.org)")], [], '<meta name="Generator" content="Drupal 10 (https://www.drupal.org)">\n<script src="/core/misc/drupal.js?v=10.1.6"></script>', ""),
    "joomla": ([], [], '<meta name="generator" content="Joomla! - Open Source Content Management">', '<link href="/components/com_content/style.css" rel="stylesheet">'),
    "typo3": ([], [], '<meta name="generator" content="TYPO3 CMS">\n<link rel="stylesheet" href="/typo3temp/assets/css/main.css">', ""),
    "mediawiki": ([], [], '<meta name="generator" content="MediaWiki 1.41.0">', '<a href="/wiki/Special:WhatLinksHere/Main_Page">What links here</a>'),
    "discourse": ([], [], '<meta name="generator" content="Discourse 3.1.3 - https://github.com/discourse/discourse version 1234">', ""),
    "phpbb": ([], ["phpbb3_abc_sid=1; path=/"], "", '<p>Powered by <a href="https://www.phpbb.test/">phpBB</a>&reg; Forum Software</p>'),
    "prestashop": ([], ["PrestaShop-a1b2=xyz; path=/"], '<meta name="generator" content="PrestaShop">', ""),
    "magento": ([], ["mage-cache-storage=%7B%7D; path=/"], '<script src="/static/version1700000000/frontend/Magento/luma/en_US/requirejs/require.js"></script>\n<script src="/static/frontend/Magento/luma/en_US/js/mage/cookies.js"></script>', ""),
    "shopify": ([("x-shopid", "12345678")], ["_shopify_y=abc; path=/"], '<script src="https://cdn.shopify.com/s/files/1/0000/0001/t/1/assets/theme.js"></script>', ""),
    "wix": ([("X-Wix-Request-Id", "1700000000.123")], [], '<meta name="generator" content="Wix.com Website Builder">', ""),
    "nginx": ([("Server", "nginx/1.24.0")], [], "", ""),
    "nginx-plain": ([("Server", "nginx")], [], "", ""),
    "openresty": ([("Server", "openresty/1.21.4.3")], [], "", ""),
    "iis": ([("Server", "Microsoft-IIS/10.0"), ("X-Powered-By", "ASP.NET"), ("X-AspNet-Version", "4.0.30319")], ["ASP.NET_SessionId=abc; path=/; HttpOnly"], "", '<input type="hidden" name="__VIEWSTATE" id="__VIEWSTATE" value="x">'),
    "php": ([("X-Powered-By", "PHP/8.2.13")], ["PHPSESSID=0123456789abcdef; path=/"], "", ""),
    "express": ([("X-Powered-By", "Express")], ["connect.sid=s%3Aabc; Path=/; HttpOnly"], "", ""),
    "laravel": ([], ["laravel_session=eyJpdiI6; path=/; httponly", "XSRF-TOKEN=eyJ; path=/"], "", ""),
    "django": ([], ["csrftoken=abc; Path=/", "django_language=en; Path=/"], "", '<form method="post"><input type="hidden" name="csrfmiddlewaretoken" value="x"></form>'),
    "rails": ([], ["_session_id=abc; path=/"], '<meta name="csrf-param" content="authenticity_token">\n<meta name="csrf-token" content="x">', ""),
    "java": ([("Server", "Apache-Coyote/1.1")], ["JSESSIONID=ABC123; Path=/; HttpOnly"], "", ""),
    "cloudflare": ([("Server", "cloudflare"), ("cf-ray", "8300000000000000-AMS"), ("cf-cache-status", "DYNAMIC")], [], "", ""),
    "varnish": ([("Via", "1.1 varnish (Varnish/7.4)"), ("X-Varnish", "32770 3")], [], "", ""),
    "caddy": ([("Server", "Caddy")], [], "", ""),
    "envoy": ([("Server", "envoy"), ("x-envoy-upstream-service-time", "12")], [], "", ""),
    "litespeed": ([("Server", "LiteSpeed")], [], "", ""),
    "hsts": ([("Strict-Transport-Security", "max-age=31536000; includeSubDomains")], [], "", ""),
    "http3": ([("Alt-Svc", 'h3=":443"; ma=86400')], [], "", ""),
    "jenkins": ([("X-Jenkins", "2.426.1")], [], "", ""),
    "kibana": ([("kbn-name", "kibana"), ("kbn-version", "8.11.1")], [], "<title>Kibana</title>", ""),
    "cpanel": ([("Server", "cpsrvd/11.110.0.15")], ["cprelogin=no; path=/"], "", ""),
    "ga-ua": ([], ["_ga=GA1.1.1.1; path=/"], '<script async src="https://www.googletagmanager.com/gtag/js?id=UA-1234567-1"></script>\n<script>window.dataLayer=window.dataLayer||[];function gtag(){dataLayer.push(arguments);}gtag(\'js\', new Date());gtag(\'config\', \'UA-1234567-1\');</script>', ""),
    "ga4": ([], ["_ga_ABCDEF1234=GS1.1.1; path=/"], '<script async src="https://www.googletagmanager.com/gtag/js?id=G-ABCDEF1234"></script>\n<script>gtag(\'config\', \'G-ABCDEF1234\');</script>', ""),
    "gtm": ([], [], "<!-- Google Tag Manager -->\n<script>(function(w,d,s,l,i){w[l]=w[l]||[];})(window,document,'script','dataLayer','GTM-ABC123');</script>\n<!-- End Google Tag Manager -->", '<noscript><iframe src="https://www.googletagmanager.com/ns.html?id=GTM-ABC123" height="0" width="0"></iframe></noscript>'),
    "fbpixel": ([], [], "<script src=\"https://connect.facebook.net/en_US/fbevents.js\"></script>\n<script>fbq('init', '123456789012345');</script>", ""),
    "hotjar": ([], [], '<script src="https://static.hotjar.com/c/hotjar-3456789.js?sv=6"></script>', ""),
    "yandex": ([], [], '<script src="https://mc.yandex.ru/metrika/tag.js"></script>\n<script>ym(87654321, "init", {clickmap:true});</script>', ""),
    "clarity": ([], [], '<script src="https://www.clarity.ms/s/0.7.20/clarity.js"></script>', ""),
    "baidu": ([], [], '<script src="https://hm.baidu.com/hm.js?0123456789abcdef0123456789abcdef"></script>', ""),
    "mixpanel": ([], [], '<script src="https://cdn.mxpnl.com/libs/mixpanel-2.47.0.min.js"></script>', ""),
    "clicky": ([], [], '<script async data-id="101234567" src="//static.getclicky.com/js"></script>', ""),
    "adsense": ([], [], '<script async src="https://pagead2.googlesyndication.com/pagead/js/adsbygoogle.js?client=ca-pub-1234567890123456"></script>', ""),
    "recaptcha": ([], [], '<script src="https://www.google.com/recaptcha/api.js" async defer></script>', '<div class="g-recaptcha" data-sitekey="6LdAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"></div>'),
    "stripe": ([], ["__stripe_mid=abc; path=/"], '<script src="https://js.stripe.com/v3/"></script>', ""),
    "paypal": ([], [], '<script src="https://www.paypalobjects.com/api/checkout.js"></script>', ""),
    "sentry": ([], [], '<script src="https://browser.sentry-cdn.com/7.86.0/bundle.min.js"></script>', ""),
    "intercom": ([], [], '<script src="https://static.intercomcdn.com/intercom.v1.js"></script>', ""),
    "zendesk": ([], [], '<script id="ze-snippet" src="https://static.zdassets.com/ekr/snippet.js?key=00000000-0000-0000-0000-000000000000"></script>', ""),
    "hubspot": ([], [], "<!-- Start of Async HubSpot Analytics Code -->\n<script src=\"//js.hs-scripts.com/1234567.js\"></script>", ""),
    "fontawesome": ([], [], '<link rel="stylesheet" href="/vendor/font-awesome/4.7.0/css/font-awesome.min.css">', ""),
    "modernizr": ([], [], '<script src="/js/modernizr-2.8.3.min.js"></script>', ""),
    "lodash": ([], [], '<script src="/js/lodash.min.js"></script>', ""),
    "underscore": ([], [], '<script src="/js/underscore-min.js?ver=1.13.4"></script>', ""),
    "moment": ([], [], '<script src="/js/moment.min.js"></script>', ""),
    "swiper": ([], [], '<script src="/js/swiper.min.js"></script>', '<div class="swiper"><div class="swiper-wrapper"></div></div>'),
    "slick": ([], [], '<link rel="stylesheet" href="/slick/1.8.1/slick-theme.css">\n<script src="/slick/1.8.1/slick.min.js"></script>', ""),
    "chartjs": ([], [], '<script src="https://cdnjs.cloudflare.com/ajax/libs/Chart.js/4.4.0/Chart.umd.min.js"></script>', ""),
    "alpine": ([], [], '<script defer src="/js/alpine.min.js"></script>', '<div x-data="{ open: false }"><button>Toggle</button></div>'),
    "tailwind": ([], [], '<script src="https://cdn.tailwindcss.com"></script>', ""),
    "handlebars": ([], [], '<script src="/js/handlebars-v4.7.7.min.js"></script>', ""),
    "d3": ([], [], '<script src="/js/d3.min.js"></script>', ""),
    "lightbox": ([], [], '<link href="/css/lightbox.min.css" rel="stylesheet">\n<script src="/js/lightbox-plus-jquery.min.js"></script>', ""),
    "matomo": ([], [], '<script>var _paq = window._paq = window._paq || [];_paq.push([\'setSiteId\', \'3\']);</script>\n<script src="//analytics.example.test/piwik.js"></script>', ""),
    "gfonts": ([], [], '<script src="https://ajax.googleapis.com/ajax/libs/webfont/1.6.26/webfont.js"></script>', ""),
    "php-url": ([], [], "", ""),
}

FILLER = [
    "Welcome to our site.", "Latest news and updates.", "Contact us for more information.",
    "Products and services.", "About the team.", "Read the documentation.",
]


def main():
    rnd = random.Random(20240601)
    names = sorted(SNIPPETS)
    pages = []
    for i in range(60):
        k = rnd.randint(3, 8)
        chosen = rnd.sample(names, k)
        # make sure every snippet appears at least once across the corpus
        chosen.append(names[i % len(names)])
        chosen = sorted(set(chosen), key=chosen.index)
        headers = [("Content-Type", "text/html; charset=utf-8")]
        head, body = [], []
        path = "/index.php" if "php-url" in chosen else "/"
        for n in chosen:
            h, cookies, hd, bd = SNIPPETS[n]
            headers.extend(h)
            headers.extend(("Set-Cookie", c) for c in cookies)
            if hd:
                head.append(hd)
            if bd:
                body.append(bd)
        title = f"Site {i:02d}"
        html = (
            "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            f"<title>{title}</title>\n" + "\n".join(head) + "\n</head>\n<body>\n"
            f"<h1>{title}</h1>\n<p>{rnd.choice(FILLER)}</p>\n" + "\n".join(body) + "\n</body>\n</html>\n"
        )
        if "<title>Kibana</title>" in html:
            html = html.replace(f"<title>{title}</title>\n", "", 1)
        pages.append({
            "url": f"https://site{i:02d}.example.test{path}",
            "status": 200,
            "headers": headers,
            "html": html,
            "snippets": chosen,
        })
    OUT.parent.mkdir(parents=True, exist_ok=True)
    with OUT.open("w") as f:
        for p in pages:
            f.write(json.dumps(p, ensure_ascii=False) + "\n")
    print(f"{len(pages)} pages -> {OUT.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
